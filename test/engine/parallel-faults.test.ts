import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DRIVERS } from '../../src/drivers/builtin.js';
import { Registry } from '../../src/drivers/registry.js';
import type { Driver } from '../../src/drivers/types.js';
import { buildExperimentObject, defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import type { FaultType, JsonObject, Target } from '../../src/faults/types.js';
import { tempDir } from '../helpers/cli.js';

/**
 * A driver of this test's own (user drivers are registered with one call): its targets are names, its
 * faults record when each apply and revert ran, how many ran at once, and what the ledger held on disk
 * when each apply began.
 */
function recordingDriver(opts: { targets: number; failOn?: string; ledgerPath: () => string }) {
  const log: { event: 'apply' | 'revert'; fault: string; target: string; at: number; intentOnDisk?: boolean }[] = [];
  let running = 0;
  const peak = { apply: 0, revert: 0 };
  const targets: Target[] = Array.from({ length: opts.targets }, (_, i) => ({ driver: 'rec', id: `t${i}`, name: `t${i}`, labels: { app: 'rec' } }));
  const fault = (name: string): FaultType<Record<string, never>, JsonObject> => ({
    type: `rec.${name}`,
    driver: 'rec',
    summary: 'records its calls',
    scope: 'target',
    attributes: [],
    example: {},
    parse: () => ({}),
    describe: (_a, t) => `${name} on ${t?.name}`,
    prepare: async (_ctx, _a, t) => ({ target: t!.id }),
    async apply(ctx, state) {
      const onDisk = readFileSync(opts.ledgerPath(), 'utf8').split('\n').some((l) => l.includes(`"id":"${ctx.instanceId}"`) && l.includes('"event":"intent"'));
      running++;
      peak.apply = Math.max(peak.apply, running);
      log.push({ event: 'apply', fault: name, target: String(state.target), at: performance.now(), intentOnDisk: onDisk });
      await new Promise((r) => setTimeout(r, 25));
      running--;
      if (opts.failOn === `${name}/${state.target}`) throw new Error(`apply failed on ${state.target}`);
    },
    async revert(_ctx, state) {
      running++;
      peak.revert = Math.max(peak.revert, running);
      log.push({ event: 'revert', fault: name, target: String(state.target), at: performance.now() });
      await new Promise((r) => setTimeout(r, 25));
      running--;
    },
  });
  const driver: Driver<JsonObject, unknown> = {
    name: 'rec',
    summary: 'test driver',
    faults: [fault('first'), fault('second')],
    probes: [],
    parseConfig: () => ({}),
    connect: async () => ({}),
    parseSelector: () => undefined,
    listTargets: async () => targets,
  };
  return { driver, log, peak };
}

describe('faults applied and reverted in parallel', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let ledgerPath: string;
  beforeEach(() => {
    tmp = tempDir();
    ledgerPath = join(tmp.dir, 'ledger.jsonl');
  });
  afterEach(() => tmp.cleanup());

  const experiment = (registry: Registry, faults: unknown[], concurrency?: number) =>
    defineExperiment(
      {
        title: 'parallel',
        phases: { before: '100ms', during: '300ms', after: '100ms', tick: '100ms', ...(concurrency ? { concurrency } : {}) },
        cohort: { targets: { driver: 'rec', selector: { labels: { app: 'rec' } }, mode: 'all' } },
        faults,
      },
      { registry },
    );

  it('at most phases.concurrency targets at a time, every intent on disk before its apply, every fault reverted', async () => {
    const rec = recordingDriver({ targets: 12, ledgerPath: () => ledgerPath });
    const registry = new Registry([...BUILTIN_DRIVERS, rec.driver]);
    const result = await runExperiment(experiment(registry, [{ type: 'rec.first' }], 4), { registry, ledgerPath });
    assert.equal(result.status, 'held', result.journal.verdict.reason);
    assert.equal(rec.peak.apply, 4, 'applies ran four at a time');
    assert.equal(rec.peak.revert, 4, 'reverts ran four at a time');
    const applies = rec.log.filter((l) => l.event === 'apply');
    assert.equal(applies.length, 12);
    assert.ok(applies.every((a) => a.intentOnDisk), 'an apply began before its intent was written');
    assert.equal(rec.log.filter((l) => l.event === 'revert').length, 12);
    const entries = Ledger.readEntries(ledgerPath);
    for (const id of new Set(entries.map((e) => e.id))) {
      const events = entries.filter((e) => e.id === id).map((e) => e.event);
      assert.deepEqual(events, ['intent', 'applied', 'reverted'], `ledger lines of ${id}`);
    }
    assert.deepEqual(openFaultsOf(entries), []);
  });

  it('across targets reverts go first-applied first; on one target, in reverse order of application', async () => {
    const rec = recordingDriver({ targets: 6, ledgerPath: () => ledgerPath });
    const registry = new Registry([...BUILTIN_DRIVERS, rec.driver]);
    const result = await runExperiment(experiment(registry, [{ type: 'rec.first' }, { type: 'rec.second' }], 2), { registry, ledgerPath });
    assert.equal(result.status, 'held', result.journal.verdict.reason);
    for (let i = 0; i < 6; i++) {
      const onTarget = rec.log.filter((l) => l.target === `t${i}`).map((l) => `${l.event} ${l.fault}`);
      assert.deepEqual(onTarget, ['apply first', 'apply second', 'revert second', 'revert first'], `calls on t${i}`);
    }
    const firstApply = (t: string): number => rec.log.findIndex((l) => l.event === 'apply' && l.target === t);
    const firstRevert = (t: string): number => rec.log.findIndex((l) => l.event === 'revert' && l.target === t);
    const byApply = [0, 1, 2, 3, 4, 5].map((i) => `t${i}`).sort((a, b) => firstApply(a) - firstApply(b));
    const byRevert = [0, 1, 2, 3, 4, 5].map((i) => `t${i}`).sort((a, b) => firstRevert(a) - firstRevert(b));
    assert.deepEqual(byRevert, byApply, 'targets reverted in the order they were applied');
  });

  it('a failing apply stops further applies and every attempted fault is reverted', async () => {
    const rec = recordingDriver({ targets: 10, failOn: 'first/t3', ledgerPath: () => ledgerPath });
    const registry = new Registry([...BUILTIN_DRIVERS, rec.driver]);
    const result = await runExperiment(experiment(registry, [{ type: 'rec.first' }], 2), { registry, ledgerPath });
    assert.equal(result.status, 'failed');
    assert.match(result.journal.errors.map((e) => e.message).join('\n'), /apply failed on t3/);
    const applied = new Set(rec.log.filter((l) => l.event === 'apply').map((l) => l.target));
    const reverted = new Set(rec.log.filter((l) => l.event === 'revert').map((l) => l.target));
    assert.ok(applied.size < 10, `applies went on after the failure: ${[...applied]}`);
    assert.deepEqual([...reverted].sort(), [...applied].sort(), 'every attempted target reverted, t3 included');
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledgerPath)), []);
  });

  it('phases.concurrency is a whole number from 1 to 256 (16 by default)', () => {
    const rec = recordingDriver({ targets: 1, ledgerPath: () => ledgerPath });
    const registry = new Registry([...BUILTIN_DRIVERS, rec.driver]);
    const issues = (concurrency: unknown) =>
      buildExperimentObject({ title: 'c', phases: { concurrency }, faults: [{ type: 'process', apply: 'true', revert: 'true' }] }, { registry }).issues.map((i) => `${i.path}: ${i.message}`);
    for (const bad of [0, 257, 2.5, '16', '1s']) assert.match(issues(bad).join('\n'), /phases\.concurrency: must be a whole number of targets from 1 to 256/, `${JSON.stringify(bad)}`);
    assert.deepEqual(issues(1), []);
    assert.deepEqual(issues(256), []);
    assert.equal(defineExperiment({ title: 'd', faults: [{ type: 'process', apply: 'true', revert: 'true' }] }).phases.concurrency, 16);
  });
});
