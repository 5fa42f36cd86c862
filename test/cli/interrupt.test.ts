import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { runCli, startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';

/** An experiment whose fault creates a file; it runs long enough to be interrupted. */
function longExperiment(dir: string, flag: string, during = '60s'): string {
  const file = join(dir, 'long.yaml');
  writeFileSync(
    file,
    [
      'title: Long running',
      `phases: { before: 100ms, during: ${during}, after: 300ms, tick: 100ms }`,
      'hypothesis:',
      '  probes:',
      '    - { name: echo, type: process, command: "echo ok" }',
      '  tolerances: [ "echo.exitCode == 0" ]',
      'faults:',
      `  - { type: process, apply: "touch ${flag}", revert: "rm -f ${flag}" }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('signals and crashes (real child processes)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let flag: string;
  let ledger: string;
  beforeEach(() => {
    tmp = tempDir();
    flag = join(tmp.dir, 'flag');
    ledger = join(tmp.dir, 'ledger.jsonl');
  });
  afterEach(() => tmp.cleanup());

  const applied = () => existsSync(ledger) && Ledger.readEntries(ledger).some((e) => e.event === 'applied');

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    it(`${sig}: reverts every fault, measures the after phase, exits 130 with an interrupted journal`, async () => {
      const file = longExperiment(tmp.dir, flag);
      const journal = join(tmp.dir, 'journal.json');
      const child = startCli(['--ledger', ledger, 'run', file, '--journal', journal], { cwd: tmp.dir });
      await waitFor('the fault to be applied', applied);
      assert.ok(existsSync(flag), 'fault live');
      child.kill(sig);
      const r = await waitCli(child, 30_000);
      assert.equal(r.code, 130, r.stderr);
      assert.equal(existsSync(flag), false, 'fault reverted');
      const j = JSON.parse(readFileSync(journal, 'utf8'));
      assert.equal(j.verdict.status, 'interrupted');
      assert.equal(j.interrupted.signal, sig);
      assert.equal(j.interrupted.skippedAfter, false);
      assert.ok(j.phases.some((p: { phase: string }) => p.phase === 'after'), 'after phase ran');
      assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
    });
  }

  it('a second signal skips the after phase but never the revert', async () => {
    const file = join(tmp.dir, 'slow-revert.yaml');
    writeFileSync(file, [
      'title: Slow revert',
      'phases: { before: 100ms, during: 60s, after: 20s, tick: 100ms }',
      'faults:',
      `  - { type: process, apply: "touch ${flag}", revert: "sleep 1; rm -f ${flag}" }`,
      '',
    ].join('\n'));
    const journal = join(tmp.dir, 'journal.json');
    const child = startCli(['--ledger', ledger, 'run', file, '--journal', journal], { cwd: tmp.dir });
    await waitFor('the fault to be applied', applied);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const r = await waitCli(child, 30_000);
    assert.equal(r.code, 130, r.stderr);
    assert.equal(existsSync(flag), false, 'reverted despite the second signal');
    const j = JSON.parse(readFileSync(journal, 'utf8'));
    assert.equal(j.interrupted.skippedAfter, true);
    assert.ok(!j.phases.some((p: { phase: string }) => p.phase === 'after'), 'after phase skipped');
  });

  it('kill -9 after apply: `firebreak recover` reverts from the ledger alone', async () => {
    const file = longExperiment(tmp.dir, flag);
    const child = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    await waitFor('the fault to be applied', applied);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);
    assert.ok(existsSync(flag), 'the killed run left its fault behind');
    assert.equal(openFaultsOf(Ledger.readEntries(ledger)).length, 1);
    const blocked = await runCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    assert.equal(blocked.code, 4, 'a new run refuses a dirty ledger');
    assert.match(blocked.stdout + blocked.stderr, /firebreak recover/);
    const r = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 of 1 fault\(s\) reverted/);
    assert.equal(existsSync(flag), false);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
    const again = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to recover/);
  });

  it('recover exits non-zero while a fault cannot be reverted, and keeps it in the ledger', async () => {
    const file = join(tmp.dir, 'stuck.yaml');
    const fixed = join(tmp.dir, 'fixed');
    writeFileSync(file, [
      'title: Stuck revert',
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      `  - { type: process, apply: "touch ${flag}", revert: "test -f ${fixed} && rm -f ${flag}" }`,
      '',
    ].join('\n'));
    const child = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    await waitFor('the fault to be applied', applied);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);
    const r1 = await runCli(['--ledger', ledger, 'recover', '--timeout', '2s'], { cwd: tmp.dir });
    assert.equal(r1.code, 4);
    assert.match(r1.stdout, /could not revert/);
    assert.equal(openFaultsOf(Ledger.readEntries(ledger)).length, 1);
    writeFileSync(fixed, '');
    const r2 = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir });
    assert.equal(r2.code, 0, r2.stdout);
    assert.equal(existsSync(flag), false);
  });

  it('recover --forget closes an entry whose system is gone, without reverting; an unknown id is a usage error', async () => {
    const l = Ledger.open(ledger);
    l.append({ event: 'intent', id: 'gone-0-0', runId: 'gone', fault: 'process', driver: 'core', driverConfig: {}, state: { apply: 'true', revert: 'exit 1', timeoutMs: 1000, cwd: tmp.dir, env: {} } });
    l.close();
    const r = await runCli(['--ledger', ledger, 'recover', '--forget', 'gone-0-0'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /forgotten gone-0-0 \(not reverted\)/);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
    assert.equal(Ledger.readEntries(ledger).at(-1)!.event, 'forgotten');
    const unknown = await runCli(['--ledger', ledger, 'recover', '--forget', 'nope'], { cwd: tmp.dir });
    assert.equal(unknown.code, 64);
    const bad = await runCli(['--ledger', ledger, 'recover', '--timeout', 'abc'], { cwd: tmp.dir });
    assert.equal(bad.code, 64);
  });

  it('a second run on the same ledger is refused while the first holds the lock', async () => {
    const file = longExperiment(tmp.dir, flag, '3s');
    const first = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    await waitFor('the fault to be applied', applied);
    const other = join(tmp.dir, 'other');
    const second = await runCli(['--ledger', ledger, 'run', longExperiment(tmp.dir, other, '1s')], { cwd: tmp.dir });
    assert.equal(second.code, 4);
    assert.match(second.stdout + second.stderr, /in use by process/);
    assert.equal(existsSync(other), false);
    const r = await waitCli(first, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readdirSync(tmp.dir).includes('ledger.jsonl'));
  });
});
