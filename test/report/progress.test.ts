import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { RunEvents } from '../../src/engine/events.js';
import { attachProgress } from '../../src/report/progress.js';
import { registerSecret, clearSecrets } from '../../src/log.js';
import { emptySummary } from '../../src/signals/histogram.js';

function sink(isTTY: boolean, columns?: number): Writable & { isTTY: boolean; columns?: number; text: string } {
  const out = new Writable({
    write(chunk, _enc, cb) {
      out.text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY: boolean; columns?: number; text: string };
  out.isTTY = isTTY;
  if (columns !== undefined) out.columns = columns;
  out.text = '';
  return out;
}

/** One run's worth of events: plan, phases, a fault applied and reverted, a probe, ticks, a stop condition. */
function wholeRun(events: RunEvents): void {
  const plan = { runId: 'r1', drivers: ['proxy'], faults: [{ id: 'r1-0-0', fault: 'proxy.latency', description: 'latency 300ms ±10ms on payments (canary, downstream) after 5µs', startMs: 0 }], probes: [], phases: { before: 1000, during: 10_000, after: 1000, tick: 1000 }, aborts: [] };
  events.emitEvent('phase-started', { phase: 'plan', durationMs: 0, at: Date.now() });
  events.emitEvent('run-started', { runId: 'r1', title: 'Checkout survives slow payments → fallback…', source: 'experiments/checkout-survives-slow-payments.yaml', plan });
  events.emitEvent('phase-started', { phase: 'during', durationMs: 10_000, at: Date.now() });
  events.emitEvent('fault-applied', { id: 'r1-0-0', fault: 'proxy.latency', description: plan.faults[0]!.description, target: { id: 'c0ffee', name: 'payments-7d9f8c6b5-x2x9q', labels: {} } as never });
  events.emitEvent('probe-result', { phase: 'during', probe: 'health', result: { status: 'ok', value: { status: 200, body: 'a long body that goes on and on past the width of any narrow terminal window' }, startedAt: '', durationMs: 3 } });
  tick(events, 1000);
  tick(events, 2000);
  events.emitEvent('abort-tripped', { condition: 'shop.errors.rate > 20% min 20', evidence: { observed: 0.25 } as never });
  events.emitEvent('fault-reverted', { id: 'r1-0-0', fault: 'proxy.latency', description: plan.faults[0]!.description, attempts: 2, verified: true });
  events.emitEvent('fault-revert-failed', { id: 'r1-0-1', fault: 'proxy.latency', error: 'could not reach the proxy API to remove toxic fb-x: ECONNREFUSED 127.0.0.1:8474 (connection refused)', attempts: 3 });
}

// eslint-disable-next-line no-control-regex
const visible = (text: string): string[] => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\n').filter((l) => l !== '');

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

  it('a narrow terminal (50 columns): every line fits, wrapped between words, nothing lost', () => {
    const events = new RunEvents();
    const out = sink(true, 50);
    attachProgress(events, out, { style: { color: true, unicode: true } });
    wholeRun(events);
    const lines = visible(out.text);
    for (const l of lines) assert.ok([...l].length <= 50, `${JSON.stringify(l)} is ${[...l].length} columns`);
    assert.ok(lines.length > 12, 'long lines were wrapped, not cut');
    const joined = lines.map((l) => l.trim()).join(' ');
    assert.match(joined, /payments-7d9f8c6b5-x2x9q/);
    assert.match(joined, /ECONNREFUSED 127\.0\.0\.1:8474/);
    // The redraw moves up exactly the lines it drew, wrapped ones included.
    const up = [...out.text.matchAll(/\x1b\[(\d+)A/g)].map((m) => Number(m[1]));
    assert.ok(up.length > 0 && up.every((n) => n >= 4), `cursor-up counts: ${up.join(',')}`);
  });

  it('the same at 50 columns on a real width: the block of a wide tick has no line over 50', () => {
    const events = new RunEvents();
    const out = sink(true, 50);
    attachProgress(events, out, { style: { color: false, unicode: true } });
    events.emitEvent('tick', { phase: 'during', elapsedMs: 1000, durationMs: 10_000, signals: { storefront_checkout: { canary: { ...cohort(2000, 0.5, 12_345), outstanding: 1234, overdue: 56, dropped: 7 } } } });
    for (const l of visible(out.text)) assert.ok(l.length <= 50, l);
  });

  it('NO_COLOR: no colour codes at all, on a TTY too; colour only where wanted', () => {
    const plain = sink(true, 80);
    const e1 = new RunEvents();
    attachProgress(e1, plain, { style: { color: false } });
    wholeRun(e1);
    assert.doesNotMatch(plain.text, /\x1b\[[0-9;]*m/, 'no SGR sequence');
    const coloured = sink(true, 80);
    const e2 = new RunEvents();
    attachProgress(e2, coloured, { style: { color: true } });
    wholeRun(e2);
    assert.match(coloured.text, /\x1b\[31m/, 'a failed revert is red');
  });

  it('ASCII (TERM=dumb, a locale that is not UTF-8, FIREBREAK_ASCII=1): only bytes below 0x80', () => {
    for (const unicode of [true, false]) {
      const events = new RunEvents();
      const out = sink(true, 50);
      attachProgress(events, out, { style: { color: false, unicode } });
      wholeRun(events);
      const bytes = [...Buffer.from(out.text, 'utf8')];
      if (unicode) assert.ok(bytes.some((b) => b >= 0x80), 'Unicode glyphs when they can be shown');
      else {
        assert.deepEqual(bytes.filter((b) => b >= 0x80), [], out.text);
        assert.match(out.text, /latency 300ms \+\/-10ms/);
        assert.match(out.text, /after 5us/);
        assert.match(out.text, /-> fallback\.\.\./);
      }
    }
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
