import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { HistoryEntry } from '../../src/history/history.js';
import { startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';

/*
 * `firebreak serve` as real child processes on real time (cron with seconds): overlap, SIGTERM in the
 * middle of an experiment, SIGKILL then restart (recover before anything is scheduled), and two
 * schedulers on one state directory.
 */
describe('CLI: serve, scheduled game days in real processes', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  const flag = () => join(tmp.dir, 'fault.flag');
  const history = () => join(tmp.dir, 'history.jsonl');
  const read = (): HistoryEntry[] => (existsSync(history()) ? readFileSync(history(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HistoryEntry) : []);

  /** A schedule every 2 s of a one-experiment suite whose fault (a flag file) stays for `duringMs`. */
  function setup(duringMs: number, extra: Record<string, unknown> = {}): string {
    writeFileSync(join(tmp.dir, 'exp.yaml'), stringify({
      title: 'scheduled', phases: { before: '100ms', during: `${duringMs}ms`, after: '100ms', tick: '100ms' },
      faults: [{ type: 'process', apply: `touch ${flag()}`, revert: `rm -f ${flag()}` }],
    }));
    writeFileSync(join(tmp.dir, 'suite.yaml'), stringify({ name: 'game day', experiments: ['exp.yaml'] }));
    const file = join(tmp.dir, 'schedules.yaml');
    writeFileSync(file, stringify({ schedules: [{ name: 'often', suite: 'suite.yaml', cron: '*/2 * * * * *', timeZone: 'UTC', ...extra }] }));
    return file;
  }
  const serve = (schedules: string, name = 'a') =>
    startCli(['--ledger', join(tmp.dir, `ledger-${name}.jsonl`), 'serve', '--schedules', schedules, '--state', join(tmp.dir, 'state'), '--metrics', '127.0.0.1:0', '--journal', join(tmp.dir, `journals-${name}`), '--history', history(), '-q']);

  it('a slot during a run is skipped (overlap), SIGTERM interrupts the experiment, which reverts, and serve exits', async () => {
    const child = serve(setup(8000));
    await waitFor('the fault to be applied', () => existsSync(flag()), 20_000);
    await waitFor('an overlapping slot to be skipped', () => read().some((e) => e.kind === 'schedule' && e.event === 'skipped'), 10_000);
    const url = /metrics on (http:\/\/[^\s]+)\/metrics/.exec(child.out.stderr)?.[1];
    assert.ok(url, child.out.stderr);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /firebreak_schedule_skips_total\{schedule="often",reason="overlap"\} [1-9]/);
    assert.match(metrics, /firebreak_schedule_next_fire_timestamp_seconds\{schedule="often"\} \d/);
    child.kill('SIGTERM');
    const r = await waitCli(child, 20_000);
    assert.equal(existsSync(flag()), false, 'the fault was reverted');
    assert.match(r.stderr, /stopped by SIGTERM/);
    const skipped = read().find((e) => e.kind === 'schedule' && e.event === 'skipped')!;
    assert.match((skipped as { reason: string }).reason, /a run of often was still going on/);
    const journals = readdirSync(join(tmp.dir, 'journals-a'));
    const verdict = JSON.parse(readFileSync(join(tmp.dir, 'journals-a', journals[0]!), 'utf8')).verdict.status;
    assert.equal(verdict, 'interrupted');
  });

  it('after a SIGKILL mid-fault, a restarted serve recovers first (the fault is reverted before anything is scheduled)', async () => {
    const schedules = setup(8000);
    const first = serve(schedules);
    await waitFor('the fault to be applied', () => existsSync(flag()), 20_000);
    first.kill('SIGKILL');
    await waitCli(first, 10_000);
    assert.ok(existsSync(flag()), 'the killed run left its fault');
    const second = serve(schedules);
    await waitFor('recover to report', () => /recover found 1 open fault\(s\), reverted 1/.test(second.out.stderr), 20_000);
    assert.equal(existsSync(flag()), false, 'reverted by recover');
    second.kill('SIGTERM');
    await waitCli(second, 20_000);
  });

  it('refuses to schedule while a fault cannot be reverted', async () => {
    const schedules = setup(300);
    writeFileSync(join(tmp.dir, 'ledger-a.jsonl'), JSON.stringify({ v: 1, at: new Date().toISOString(), event: 'intent', id: 'x-0-0', runId: 'x', fault: 'process', driver: 'core', driverConfig: {}, state: { apply: ['false'], revert: ['sh', '-c', 'exit 7'], timeoutMs: 1000, cwd: tmp.dir, env: {} } }) + '\n');
    const r = await waitCli(serve(schedules), 60_000);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refusing to schedule: 1 fault\(s\) are still open/);
    assert.equal(read().length, 0, 'nothing scheduled');
  });

  it('two schedulers on one state directory never run the same slot', async () => {
    const schedules = setup(300);
    const a = serve(schedules, 'a');
    const b = serve(schedules, 'b');
    await waitFor('a few slots to run', () => read().filter((e) => e.kind === 'schedule' && e.event === 'finished').length >= 3, 30_000);
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    await Promise.all([waitCli(a, 20_000), waitCli(b, 20_000)]);
    const started = read().filter((e) => e.kind === 'schedule' && e.event === 'started').map((e) => (e as { slot: string }).slot);
    assert.ok(started.length >= 3);
    assert.equal(new Set(started).size, started.length, `a slot ran twice: ${started.join(', ')}`);
    assert.ok(read().some((e) => e.kind === 'schedule' && e.event === 'skipped' && /another scheduler/.test((e as { reason: string }).reason)), 'the other scheduler saw it taken');
  });
});
