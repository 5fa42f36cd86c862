import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import { RunEvents } from '../../src/engine/events.js';
import { Ledger } from '../../src/engine/ledger.js';
import { cohortOf } from '../../src/cohort/sticky.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';
import { tempDir } from '../helpers/cli.js';

describe('engine lifecycle', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let flag: string;
  let ledgerPath: string;

  beforeEach(() => {
    tmp = tempDir();
    flag = join(tmp.dir, 'flag');
    ledgerPath = join(tmp.dir, 'ledger.jsonl');
  });
  afterEach(() => tmp.cleanup());

  const quick = { before: '200ms', during: '600ms', after: '200ms', tick: '100ms' };
  const flagFault = (extra: Record<string, unknown> = {}) => ({ type: 'process', apply: `touch ${flag}`, revert: `rm -f ${flag}`, ...extra });
  const flagProbe = () => ({ name: 'flag', type: 'process', command: `test -f ${flag} && echo down || echo up` });

  it('held: the hypothesis holds before, during and after; the fault is applied and reverted', async () => {
    const e = defineExperiment({
      title: 'held', phases: quick,
      hypothesis: { probes: [{ name: 'echo', type: 'process', command: 'echo ok' }], tolerances: ['echo.stdout == "ok"', 'echo.exitCode == 0'] },
      faults: [flagFault()],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'held', result.journal.verdict.reason);
    assert.equal(result.exitCode, 0);
    assert.equal(existsSync(flag), false, 'fault reverted');
    assert.equal(result.journal.verdict.evidence.length, 6);
    assert.ok(result.journal.faults[0]!.appliedAt && result.journal.faults[0]!.revertedAt);
    assert.deepEqual(Ledger.readEntries(ledgerPath).map((e) => e.event), ['intent', 'applied', 'reverted']);
  });

  it('deviated: a tolerance fails during the fault, with the evidence naming it', async () => {
    const e = defineExperiment({
      title: 'deviated', phases: quick,
      hypothesis: { probes: [flagProbe()], tolerances: ['flag.stdout == "up"'] },
      faults: [flagFault()],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'deviated');
    assert.equal(result.exitCode, 1);
    const failing = result.journal.verdict.evidence.filter((x) => x.outcome === 'fail');
    assert.equal(failing.length, 1);
    assert.equal(failing[0]!.phase, 'during');
    assert.equal(failing[0]!.observed, 'down');
    assert.match(result.journal.verdict.reason, /flag\.stdout == "up"/);
    assert.equal(existsSync(flag), false);
  });

  it('not-steady: a failing steady state stops the run before anything is injected', async () => {
    writeFileSync(flag, '');
    const marker = join(tmp.dir, 'applied');
    const e = defineExperiment({
      title: 'not steady', phases: quick,
      hypothesis: { probes: [flagProbe()], tolerances: ['flag.stdout == "up"'] },
      faults: [{ type: 'process', apply: `touch ${marker}`, revert: `rm -f ${marker}` }],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'not-steady');
    assert.equal(result.exitCode, 3);
    assert.equal(existsSync(marker), false, 'nothing was injected');
    assert.deepEqual(Ledger.readEntries(ledgerPath), [], 'nothing ledgered');
    assert.deepEqual(result.journal.phases.map((p) => p.phase), ['before']);
  });

  it('failing apply: the run fails and every fault applied before it is reverted', async () => {
    const e = defineExperiment({
      title: 'failing apply', phases: quick,
      faults: [flagFault(), { type: 'process', apply: 'echo nope >&2; exit 3', revert: 'true' }],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'failed');
    assert.equal(result.exitCode, 4);
    assert.equal(existsSync(flag), false, 'first fault reverted');
    assert.match(result.journal.verdict.reason, /exited 3: nope/);
    assert.deepEqual(Ledger_open(ledgerPath), []);
  });

  it('failing revert: retried, reported, left in the ledger for recover', async () => {
    const e = defineExperiment({
      title: 'failing revert', phases: quick,
      faults: [{ type: 'process', apply: `touch ${flag}`, revert: `echo stuck >&2; exit 1` }],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'failed');
    const f = result.journal.faults[0]!;
    assert.equal(f.revertAttempts, 3);
    assert.equal(f.revertedAt, undefined);
    assert.match(f.error ?? '', /stuck/);
    assert.ok(result.journal.errors.some((x) => x.code === 'FIREBREAK_E_REVERT'));
    const events = Ledger.readEntries(ledgerPath).map((x) => x.event);
    assert.deepEqual(events, ['intent', 'applied', 'revert-failed']);
    assert.equal(Ledger_open(ledgerPath).length, 1);
  });

  it('a revert that fails once is retried and succeeds', async () => {
    const once = join(tmp.dir, 'once');
    const e = defineExperiment({
      title: 'flaky revert', phases: quick,
      faults: [{ type: 'process', apply: `touch ${flag}`, revert: `if [ -f ${once} ]; then rm -f ${flag}; else touch ${once}; exit 1; fi` }],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'held', result.journal.verdict.reason);
    assert.equal(result.journal.faults[0]!.revertAttempts, 2);
    assert.equal(existsSync(flag), false);
  });

  it('a phase that overruns its limit stops the run (failed, FIREBREAK_E_TIMEOUT) and nothing is injected', async () => {
    const e = defineExperiment({
      title: 'overrun', phases: { ...quick, phaseGrace: '300ms' },
      hypothesis: { probes: [{ name: 'slow', type: 'process', command: 'sleep 3; echo late' }], tolerances: ['slow.exitCode == 0'] },
      faults: [flagFault()],
    });
    const t0 = Date.now();
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'failed');
    assert.ok(Date.now() - t0 < 2500, 'the slow probe was cut short');
    assert.match(result.journal.verdict.reason, /FIREBREAK_E_TIMEOUT: the before phase took longer than its 500 ms limit/);
    assert.equal(existsSync(flag), false);
    assert.deepEqual(Ledger.readEntries(ledgerPath), []);
  });

  it('rollbacks never run when the plan fails (here: a dirty ledger)', async () => {
    const e1 = defineExperiment({ title: 'leaves a fault', phases: quick, faults: [{ type: 'process', apply: `touch ${flag}`, revert: 'exit 1' }] });
    await runExperiment(e1, { ledgerPath });
    const marker = join(tmp.dir, 'rolled-back');
    const e2 = defineExperiment({ title: 'blocked', phases: quick, rollbacks: [{ type: 'process', command: `touch ${marker}` }] });
    const result = await runExperiment(e2, { ledgerPath });
    assert.equal(result.status, 'failed');
    assert.equal(existsSync(marker), false, 'nothing touched before the plan passed');
    assert.deepEqual(result.journal.rollbacks, []);
  });

  it('a failing apply runs the rollbacks once', async () => {
    const count = join(tmp.dir, 'count');
    const e = defineExperiment({
      title: 'rollback once', phases: quick,
      faults: [{ type: 'process', apply: 'exit 2', revert: 'true' }],
      rollbacks: [{ type: 'process', command: `echo x >> ${count}` }],
    });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'failed');
    assert.equal(result.journal.rollbacks.length, 1);
    assert.equal(readFileSync(count, 'utf8'), 'x\n');
  });

  it('a process fault resolves a relative cwd against the experiment and ledgers it absolute; a timeout fails the apply', async () => {
    const e = defineExperiment({
      title: 'cwd', phases: quick,
      faults: [{ type: 'process', apply: 'touch ./flag', revert: 'rm -f ./flag', cwd: '.' }],
    }, { baseDir: tmp.dir });
    const result = await runExperiment(e, { ledgerPath });
    assert.equal(result.status, 'held', result.journal.verdict.reason);
    assert.equal(Ledger.readEntries(ledgerPath)[0]!.state!.cwd, tmp.dir);
    const slow = defineExperiment({ title: 'slow apply', phases: quick, faults: [{ type: 'process', apply: 'sleep 5', revert: 'true', timeout: '300ms' }] });
    const r2 = await runExperiment(slow, { ledgerPath: join(tmp.dir, 'l2.jsonl') });
    assert.equal(r2.status, 'failed');
    assert.match(r2.journal.verdict.reason, /timed out after 300 ms/);
  });

  it('a dirty ledger refuses a new run until recovered', async () => {
    const e1 = defineExperiment({ title: 'leaves a fault', phases: quick, faults: [{ type: 'process', apply: `touch ${flag}`, revert: 'exit 1' }] });
    await runExperiment(e1, { ledgerPath });
    const e2 = defineExperiment({ title: 'next', phases: quick, faults: [flagFault()] });
    const result = await runExperiment(e2, { ledgerPath });
    assert.equal(result.status, 'failed');
    assert.match(result.journal.verdict.reason, /firebreak recover/);
  });

  describe('with live traffic', () => {
    let target: TargetServer;
    const salt = 'lifecycle';
    const shares = { canary: 0.3, control: 0.3 };
    before(async () => {
      // Canary users get 500s while the flag file exists: a fault that hurts only the canary.
      target = await startTarget((req) => {
        const key = String(req.headers['x-user-id'] ?? '');
        return existsSync(flag) && cohortOf(key, salt, shares) === 'canary' ? { status: 500 } : { status: 200 };
      });
    });
    after(() => target.close());

    const load = () => ({ name: 'shop', type: 'load', url: target.url, rate: 200, users: { count: 500 } });
    const cohort = { traffic: { canary: '30%', control: '30%', key: 'header:x-user-id', salt } };

    it('aborted: a tripped stop condition reverts at once and the after phase still measures', async () => {
      const events = new RunEvents();
      let trippedAt = 0;
      let revertedAt = 0;
      events.onEvent('abort-tripped', () => (trippedAt = Date.now()));
      events.onEvent('fault-reverted', () => (revertedAt = Date.now()));
      const e = defineExperiment({
        title: 'abort', cohort, phases: { before: '500ms', during: '8s', after: '500ms', tick: '250ms' },
        hypothesis: { probes: [load()], tolerances: ['shop.errors.rate < 50%'] },
        faults: [flagFault()],
        abort: ['shop.errors.rate > 20% min 5'],
      });
      const t0 = Date.now();
      const result = await runExperiment(e, { ledgerPath, events });
      assert.equal(result.status, 'aborted', result.journal.verdict.reason);
      assert.equal(result.exitCode, 2);
      assert.ok(Date.now() - t0 < 6000, 'the during phase was cut short');
      assert.ok(trippedAt > 0 && revertedAt >= trippedAt);
      assert.ok(revertedAt - trippedAt < 2 * 250 + 1000, `reverted ${revertedAt - trippedAt} ms after the trip`);
      assert.equal(existsSync(flag), false);
      assert.equal(result.journal.aborted?.condition, 'shop.errors.rate > 20% min 5');
      assert.ok(result.journal.phases.some((p) => p.phase === 'after'), 'after phase measured');
      const canaryDuring = result.journal.phases.find((p) => p.phase === 'during')!.signals.shop!.canary!;
      assert.ok(canaryDuring.errors.count >= 5);
      const controlDuring = result.journal.phases.find((p) => p.phase === 'during')!.signals.shop!.control!;
      assert.equal(controlDuring.errors.count, 0, 'control untouched');
    });

    it('a guard rail without traffic cohorts watches all traffic', async () => {
      const down = await startTarget(() => ({ status: existsSync(flag) ? 503 : 200 }));
      try {
        const e = defineExperiment({
          title: 'guard without cohorts', phases: { before: '500ms', during: '8s', after: '300ms', tick: '250ms' },
          hypothesis: { probes: [{ name: 'web', type: 'load', url: down.url, rate: 100 }] },
          faults: [flagFault()],
          abort: ['web.errors.rate > 50% min 10'],
        });
        const result = await runExperiment(e, { ledgerPath });
        assert.equal(result.status, 'aborted', result.journal.verdict.reason);
        assert.equal(result.journal.aborted?.evidence.cohort, 'all');
      } finally {
        await down.close();
      }
    });

    it('deviated with canary-vs-control: errors split shows the canary is hurt', async () => {
      const e = defineExperiment({
        title: 'cvc', cohort, phases: { before: '500ms', during: '2s', after: '500ms', tick: '250ms' },
        hypothesis: { probes: [load()], tolerances: [{ check: 'shop.errors.rate canary <= 1.5x control', phases: ['during'] }] },
        faults: [flagFault()],
      });
      const result = await runExperiment(e, { ledgerPath });
      assert.equal(result.status, 'deviated', result.journal.verdict.reason);
      const ev = result.journal.verdict.evidence[0]!;
      assert.equal(ev.test, 'error-rate ratio (binomial split) and difference (MOVER)');
      assert.ok((ev.pValue ?? 1) < 0.001);
      assert.ok((ev.samples?.canaryErrors ?? 0) > 0 && ev.samples?.controlErrors === 0);
    });
  });
});

// Reads the open (unreverted) faults of a ledger without locking it.
import { openFaultsOf } from '../../src/engine/ledger.js';
function Ledger_open(path: string) {
  return openFaultsOf(Ledger.readEntries(path));
}
