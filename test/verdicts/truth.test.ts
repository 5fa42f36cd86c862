import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import { decidedRun } from '../helpers/decided.js';
import { SCENARIOS } from './scenarios.js';
import { useKnownSystem } from './system.js';

/*
 * The verdict-truth suite: each scenario runs against a system whose resilience is known, and must
 * get the verdict that truth calls for. A scenario with true harm must never read `held`; the
 * tool's own failure must never read `deviated`.
 */
describe('verdict truth: known systems get the verdicts truth calls for', function () {
  this.timeout(90_000);
  const known = useKnownSystem();

  for (const s of SCENARIOS) {
    it(`${s.name}: ${s.expect}`, async () => {
      const r = await decidedRun(() => runExperiment(defineExperiment(s.experiment(known.sys()) as never), { ledgerPath: join(known.dir(), 'ledger.jsonl') }), s.expect);
      const why = `${r.status}: ${r.journal.verdict.reason}\nwarnings: ${r.journal.warnings.join(' | ')}\nerrors: ${r.journal.errors.map((x) => x.message).join(' | ')}`;
      if (s.harm) assert.notEqual(r.status, 'held', `a truly harmed canary read held: ${why}`);
      assert.equal(r.status, s.expect, why);
      assert.ok(r.journal.faults.every((f) => !f.appliedAt || f.revertedAt), 'every fault reverted');
    });
  }
});
