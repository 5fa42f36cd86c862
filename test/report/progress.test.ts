import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { RunEvents } from '../../src/engine/events.js';
import { attachProgress } from '../../src/report/progress.js';
import { registerSecret, clearSecrets } from '../../src/log.js';
import { emptySummary } from '../../src/signals/histogram.js';

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: string } {
  const out = new Writable({
    write(chunk, _enc, cb) {
      out.text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY: boolean; text: string };
  out.isTTY = isTTY;
  out.text = '';
  return out;
}

const cohort = (rate: number, errorRate: number, p99: number) => ({ requests: rate, errors: Math.round(rate * errorRate), rate, errorRate, latency: { ...emptySummary(), count: rate, p50: p99 / 3, p99 } });

function tick(events: RunEvents, elapsedMs: number): void {
  events.emitEvent('tick', { phase: 'during', elapsedMs, durationMs: 10_000, signals: { shop: { canary: cohort(20, 0.25, 900), control: cohort(20, 0, 30), all: cohort(100, 0.05, 500) } } });
}

describe('terminal progress', () => {
  after(() => clearSecrets());

  it('not a TTY: one plain line per tick with phase, time left and the signals per cohort', () => {
    const events = new RunEvents();
    const out = sink(false);
    attachProgress(events, out);
    events.emitEvent('phase-started', { phase: 'during', durationMs: 10_000, at: Date.now() });
    tick(events, 1000);
    tick(events, 2000);
    const lines = out.text.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /during 1s \/ 10s, 9s left \| shop\/canary: 20\/s err 25\.0% p50 300\.0ms p99 900\.0ms \| shop\/control: 20\/s err 0\.0% .*p99 30\.0ms/);
    assert.ok(!out.text.includes('\x1b['), 'no escape codes');
  });

  it('a TTY: redraws one status block in place each tick', () => {
    const events = new RunEvents();
    const out = sink(true);
    attachProgress(events, out);
    tick(events, 1000);
    tick(events, 2000);
    assert.equal((out.text.match(/\x1b\[\d+A\x1b\[0J/g) ?? []).length, 1, 'the second tick erased the first block');
    assert.match(out.text, /shop\/canary: 20\/s err 25\.0%/);
  });

  it('never prints a secret value', () => {
    registerSecret('hunter2-secret');
    const events = new RunEvents();
    const out = sink(false);
    attachProgress(events, out);
    events.emitEvent('fault-applied', { id: 'x-0-0', fault: 'process', description: 'run "login hunter2-secret"' });
    assert.match(out.text, /login \*\*\*/);
    assert.ok(!out.text.includes('hunter2-secret'));
  });

  it('a listener that throws does not break the run events', () => {
    const events = new RunEvents();
    let after = 0;
    events.on('tick', () => {
      throw new Error('reporter bug');
    });
    events.on('tick', () => after++);
    tick(events, 1);
    assert.equal(after, 1);
  });
});
