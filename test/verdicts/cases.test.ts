import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cohortOf } from '../../src/cohort/sticky.js';
import { defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import { runCli } from '../helpers/cli.js';
import { decidedRun } from '../helpers/decided.js';
import { SCENARIOS } from './scenarios.js';
import { SALT, useKnownSystem, type KnownSystem } from './system.js';

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;

/*
 * The confirmed cases of "a verdict is earned", each against the known system: through the real CLI
 * where the case is end to end (what the user runs and reads), through the library otherwise.
 */
describe('verdict truth: the cases that used to read held, or deviated for the tool\'s own failure', function () {
  this.timeout(90_000);
  const known = useKnownSystem();
  let sys: KnownSystem;
  before(() => (sys = known.sys()));
  const ledger = () => join(known.dir(), 'ledger.jsonl');
  const file = (name: string, e: Record<string, unknown>): string => {
    const path = join(known.dir(), `${name}.yaml`);
    writeFileSync(path, stringify(e));
    return path;
  };
  const cli = (path: string) => runCli(['--ledger', ledger(), 'run', path, '--journal', join(known.dir(), 'journals/')], { timeoutMs: 80_000 });

  it('CLI: a stalled canary is visible while it happens (requests waiting) and trips the stop condition (exit 2)', async () => {
    const r = await cli(file('stall', scenario('stalled dependency, no fallback').experiment(sys)));
    assert.equal(r.code, 2, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout, /ABORTED/);
    assert.match(r.stderr, /svc\/canary: .*waiting \d+/, 'the canary\'s waiting requests show on the progress lines');
    assert.equal((await proxyToxics(sys)).length, 0, 'the hold is gone from the proxy');
  });

  it('CLI: a service that does not pass the user key on gives "inconclusive" (exit 5), saying the fault reached no canary request', async () => {
    const r = await cli(file('forgetful', scenario('a service that does not pass the user key on: the fault reaches nobody').experiment(sys)));
    assert.equal(r.code, 5, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout, /INCONCLUSIVE/);
    assert.match(r.stdout, /reached no canary request: dep sorted every request it saw into other cohorts\. Does the application pass the sticky key \(header:x-user-id\) on/);
  });

  it('CLI: a running proxy whose salt differs from cohort.traffic is refused at plan time (exit 4), nothing applied', async () => {
    const e = scenario('slow dependency, no fallback').experiment(sys) as { cohort: { traffic: { salt: string } } };
    e.cohort.traffic.salt = 'renamed-experiment';
    const r = await cli(file('salt', e as never));
    assert.equal(r.code, 4, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout + r.stderr, /proxy "dep" has salt "verdict-truth" but cohort.traffic.salt is "renamed-experiment": it would hurt other users than the checks watch as the canary/);
    assert.equal((await proxyToxics(sys)).length, 0, 'nothing was applied');
  });

  it('CLI: --dry-run and the live display show the proxy\'s cohort mode, key, shares and salt, and what the fault reached', async () => {
    const path = file('visible', scenario('slow dependency, no fallback').experiment(sys));
    const note = /proxy dep: cohort mode, key header:x-user-id, canary 25%, control 25%, salt "verdict-truth"/;
    const plan = await runCli(['--ledger', ledger(), 'run', '--dry-run', path], { timeoutMs: 30_000 });
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, note);
    assert.equal((await proxyToxics(sys)).length, 0, 'a dry run applies nothing');
    const r = await cli(path);
    assert.equal(r.code, 1, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stderr, note, 'the plan notes show when the run starts');
    const reach = /reverted .*reached canary (\d+), control (\d+), untouched (\d+) \(canary (\d+(?:\.\d+)?)% of \d+ requests\)/.exec(r.stderr);
    assert.ok(reach, `the reach of the fault on its revert line:\n${r.stderr.slice(-2000)}`);
    const share = Number(reach[4]);
    assert.ok(share > 15 && share < 35, `the canary's share the proxy saw is near the declared 25%: ${share}%`);
  });

  it('CLI: shed load (sends never made) gives "inconclusive" (exit 5) with the generator\'s own account, never held', async () => {
    const r = await cli(file('shed', scenario('shed load: the generator could not send what it promised').experiment(sys)));
    assert.equal(r.code, 5, r.stdout + r.stderr.slice(-2000));
    assert.match(r.stdout, /the load generator was not trustworthy: .*were never made/);
  });

  it('a guard rail "errors.rate > 3x control" trips while the control has no errors at all', async () => {
    const e = scenario('failing dependency (30% of canary calls), no fallback').experiment(sys) as Record<string, unknown>;
    e.abort = ['svc.errors.rate > 3x control'];
    const r = await runExperiment(defineExperiment(e as never), { ledgerPath: ledger() });
    assert.equal(r.status, 'aborted', r.journal.verdict.reason);
    const trip = r.journal.aborted!.evidence;
    assert.match(JSON.stringify(trip.observed), /unbounded \(control has none\)/);
  });

  it('stop conditions watch only while a fault is live: a condition true from the start trips only once the fault is in', async () => {
    const e = scenario('A/A on the fragile service (a fault that does nothing)').experiment(sys) as Record<string, unknown>;
    e.faults = [{ type: 'proxy.latency', proxy: 'dep', latency: '0ms', start: '3s' }];
    e.abort = ['svc.latency.p50 > 0ms min 1'];
    const r = await runExperiment(defineExperiment(e as never), { ledgerPath: ledger() });
    assert.equal(r.status, 'aborted', r.journal.verdict.reason);
    const appliedAt = Date.parse(r.journal.faults[0]!.appliedAt!);
    assert.ok(Date.parse(r.journal.aborted!.at) >= appliedAt, 'tripped after the fault went in, not before');
    const duringStart = Date.parse(r.journal.phases.find((p) => p.phase === 'during')!.startedAt);
    assert.ok(appliedAt - duringStart >= 2900, `the fault went in at +${appliedAt - duringStart} ms`);
  });

  it('a partition on a proxy in cohort mode cuts off only the canary: the control never fails', async () => {
    const r = await runExperiment(defineExperiment(scenario('canary partitioned from the dependency, no fallback').experiment(sys) as never), { ledgerPath: ledger() });
    assert.equal(r.status, 'aborted', r.journal.verdict.reason);
    const during = r.journal.phases.find((p) => p.phase === 'during')!.signals.svc!;
    assert.ok(during.canary!.errors.count > 0, 'the canary failed');
    assert.equal(during.control!.errors.count, 0, 'the control never failed');
    assert.equal(during.untouched!.errors.count, 0, 'nor anyone untouched');
  });

  it('the sequential latency test takes an SLO: a fallback that adds 100 ms is no harm under "> 300ms", and is under the before-phase default', async () => {
    const base = scenario('slow dependency, timeout and fallback');
    const slo = base.experiment(sys) as Record<string, unknown>;
    slo.abort = ['sequential svc.latency > 300ms alpha 0.01'];
    const ok = await decidedRun(() => runExperiment(defineExperiment(slo as never), { ledgerPath: ledger() }));
    assert.equal(ok.status, 'held', ok.journal.verdict.reason);
    const strict = base.experiment(sys) as Record<string, unknown>;
    strict.abort = ['sequential svc.latency alpha 0.01'];
    const tripped = await runExperiment(defineExperiment(strict as never), { ledgerPath: ledger() });
    assert.equal(tripped.status, 'aborted', 'slower than the before phase\'s p99 is what the default watches for');
  });

  it('a stop condition that never evaluated says so, and the run does not read held', async () => {
    // Users that all hash outside the canary: nothing the canary's guard rail could look at.
    const shares = { canary: 0.25, control: 0.25 };
    let users = 0;
    while (users < 50 && cohortOf(`user-${users}`, SALT, shares) !== 'canary') users++;
    assert.ok(users >= 1, 'user-0 is not canary');
    const e = scenario('A/A on the fragile service (a fault that does nothing)').experiment(sys) as { hypothesis: { probes: Record<string, unknown>[]; tolerances: unknown[] }; abort: unknown[] };
    e.hypothesis.probes[0]!.users = { count: users };
    e.hypothesis.tolerances = ['svc.errors.rate control < 5%'];
    e.abort = ['svc.errors.rate > 10% min 5'];
    const r = await runExperiment(defineExperiment(e as never), { ledgerPath: ledger() });
    assert.equal(r.journal.stopConditions?.[0]?.looks, 0);
    assert.match(r.journal.stopConditions![0]!.note!, /never evaluated: no errors\.rate for the canary cohort while a fault was live/);
    assert.ok(r.journal.warnings.some((w) => /could not have stopped this run/.test(w)));
    assert.notEqual(r.status, 'held', r.journal.verdict.reason);
  });
});

async function proxyToxics(sys: KnownSystem): Promise<unknown[]> {
  const res = await fetch(`${sys.proxyUrl}/proxies/dep/toxics`);
  return (await res.json()) as unknown[];
}
