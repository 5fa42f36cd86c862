import { join } from 'node:path';
import { defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import type { Journal } from '../../src/engine/journal.js';
import type { ReportCase, ReportModel } from '../../src/report/model.js';
import { startTarget } from '../helpers/http-target.js';
import { tempDir } from '../helpers/cli.js';

/** Text that tries every trick on a report: markup, XML-illegal controls, a lone surrogate, pipes and backticks. */
export const NASTY = 'checkout <script>alert(1)</script> & "quotes" | pipes ``` \u0001\u0008\u001b \ud800 ]]> end';

/** A real run's journal: load through cohorts with a latency fault, host saturation measured, about 7 s. */
export async function realJournal(dir: string): Promise<Journal> {
  const target = await startTarget((req) => ({ delayMs: /canary/.test(String(req.headers['x-flag'])) ? 30 : 2 }));
  try {
    const e = defineExperiment({
      title: 'Report fixture: slow canary',
      cohort: { traffic: { canary: '30%', control: '30%', salt: 'report' } },
      phases: { before: '1s', during: '3s', after: '2s', tick: '250ms' },
      hypothesis: {
        probes: [
          { name: 'shop', type: 'load', url: target.url, rate: 200, warmup: '200ms' },
          { name: 'host', type: 'saturation.host' },
        ],
        tolerances: ['shop.latency.p50 < 500ms', 'shop.errors.rate canary <= 1.5x control + 5%'],
      },
      faults: [{ type: 'process', apply: 'true', revert: 'true' }],
    } as never);
    const r = await runExperiment(e, { ledgerPath: join(dir, 'ledger.jsonl') });
    return r.journal;
  } finally {
    await target.close();
  }
}

/** A model with the real journal as a pass, a nasty failing case, an error and a skipped one. */
export function modelOf(journal: Journal, extra: Partial<ReportCase>[] = []): ReportModel {
  const failing: Journal = structuredClone(journal);
  failing.experiment.title = NASTY;
  failing.verdict = { ...failing.verdict, status: 'deviated', exitCode: 1, reason: `broken: ${NASTY}`, evidence: [{ check: 'shop.errors.rate < 1%', kind: 'absolute', phase: 'during', probe: 'shop', cohort: 'canary', outcome: 'fail', expected: '< 1%', observed: NASTY, reason: NASTY }] };
  const cases: ReportCase[] = [
    { title: journal.experiment.title, source: journal.experiment.source, status: journal.verdict.status, expect: [journal.verdict.status], gate: 'pass', reason: journal.verdict.reason, weight: 1, critical: false, journal },
    { title: NASTY, source: 'exp/nasty.yaml', status: 'deviated', expect: ['held'], gate: 'fail', reason: failing.verdict.reason, weight: 1, critical: true, journal: failing },
    { title: 'could not test', source: 'exp/broken.yaml', status: 'failed', expect: ['held'], gate: 'error', reason: 'FIREBREAK_E_APPLY: nope', weight: 1, critical: false },
    { title: 'undecided', source: 'exp/undecided.yaml', status: 'inconclusive', expect: ['held'], gate: 'skipped', reason: 'too few requests', weight: 1, critical: false },
    ...extra.map((x, i) => ({ title: `extra ${i}`, source: `exp/extra-${i}.yaml`, status: 'deviated' as const, expect: ['held' as const], gate: 'fail' as const, reason: 'extra', weight: 1, critical: false, ...x })),
  ];
  return {
    title: `report of ${NASTY}`, generatedAt: '2026-12-01T12:00:00.000Z', history: [],
    suites: [{ name: `suite ${NASTY}`, runId: 'abcd1234', startedAt: journal.startedAt, endedAt: journal.endedAt!, gate: 'failed', halted: 'critical experiment missed', score: { value: 0.5, text: '1/2 held (0.50), coverage 2/4', coverage: { decided: 2, all: 4 }, stale: 0 }, cases }],
  };
}

/** Mocha hooks for a report test: one real journal, made before and cleaned after. */
export function useRealJournal(): () => Journal {
  let journal: Journal | undefined;
  let dir: { dir: string; cleanup(): void } | undefined;
  before(async function () {
    this.timeout(60_000);
    dir = tempDir();
    journal = await realJournal(dir.dir);
  });
  after(() => dir?.cleanup());
  return () => journal!;
}
