import { strict as assert } from 'node:assert';
import { evaluateTolerance, type EvaluateInput } from '../../src/analysis/evaluate.js';
import { parseTolerance } from '../../src/analysis/expressions.js';
import { collectIssues } from '../../src/experiment/issues.js';
import type { ToleranceSpec } from '../../src/experiment/model.js';
import type { PhaseRecord } from '../../src/engine/journal.js';
import { HdrLatencyHistogram } from '../../src/signals/histogram.js';
import type { CohortInterval, CohortName, WindowSignals } from '../../src/signals/types.js';
import { summarizeWindow } from '../../src/signals/window.js';

/** `ticks` one-second intervals of one cohort, each with `perTick` requests of latency `ms(i)` and `errors` failures. */
function window(cohort: CohortName, o: { ticks: number; perTick: number; ms?: (i: number) => number; errors?: number; outstanding?: number; scheduled?: number; late?: number; dropped?: number; ceiling?: number }): WindowSignals {
  const intervals: CohortInterval[] = [];
  for (let t = 0; t < o.ticks; t++) {
    const ok = new HdrLatencyHistogram();
    const failed = new HdrLatencyHistogram();
    const errors = o.errors ?? 0;
    for (let i = 0; i < o.perTick - errors; i++) ok.record(o.ms?.(i) ?? 10 + (i % 7));
    for (let i = 0; i < errors; i++) failed.record(50);
    intervals.push({
      start: t * 1000, end: (t + 1) * 1000, requests: o.perTick, errors, latencyOk: ok, latencyFailed: failed,
      ...(o.scheduled !== undefined ? { scheduledSends: o.scheduled, lateSends: o.late ?? 0, droppedSends: o.dropped ?? 0, generatorLagMs: 1 } : {}),
      ...(t === o.ticks - 1 && o.outstanding !== undefined ? { outstanding: o.outstanding, overdue: 0 } : {}),
    });
  }
  return summarizeWindow(cohort, intervals, 0, o.ticks * 1000, o.ceiling !== undefined ? { latencyCeilingMs: o.ceiling } : {});
}

function tolerance(text: string): ToleranceSpec {
  const issues = collectIssues();
  const t = parseTolerance(text, {}, issues);
  assert.ok(t, issues.issues.map((i) => i.message).join('; '));
  return t;
}

function input(signals: PhaseRecord['signals'][string], extra: Partial<EvaluateInput> = {}): EvaluateInput {
  const record: PhaseRecord = { phase: 'during', startedAt: '', probes: {}, signals: { shop: signals } };
  return { phase: 'during', record, comparisons: 1, cohortsOf: () => ['canary', 'control', 'untouched'], ...extra };
}

describe('evaluating a tolerance on what was measured', () => {
  it('a canary that saw no traffic is judged as nothing, never replaced by all traffic', () => {
    const all = window('untouched', { ticks: 5, perTick: 100 });
    const ev = evaluateTolerance(tolerance('shop.errors.rate < 1%'), input({ all, control: window('control', { ticks: 5, perTick: 20 }) }));
    assert.equal(ev.cohort, 'canary');
    assert.equal(ev.outcome, 'inconclusive');
    assert.match(ev.reason!, /canary cohort saw no traffic/);
  });

  it('zero requests is not zero errors: an error rate over nothing is inconclusive', () => {
    const canary = window('canary', { ticks: 3, perTick: 0, scheduled: 30 });
    const ev = evaluateTolerance(tolerance('shop.errors.rate < 1%'), input({ canary }));
    assert.equal(ev.outcome, 'inconclusive');
    assert.match(ev.reason!, /error rate over no requests is undefined/);
  });

  it('a canary whose requests are all still in flight has an unknown error rate', () => {
    const canary = window('canary', { ticks: 3, perTick: 0, outstanding: 60 });
    const ev = evaluateTolerance(tolerance('shop.errors.rate < 1%'), input({ canary }));
    assert.equal(ev.outcome, 'inconclusive');
    assert.match(ev.reason!, /no request of the canary cohort completed in during \(60 still in flight\)/);
  });

  it('no successful request: latency is absent, not 0 ms', () => {
    const canary = window('canary', { ticks: 3, perTick: 10, errors: 10 });
    const ev = evaluateTolerance(tolerance('shop.latency.p99 < 250ms'), input({ canary }));
    assert.equal(ev.outcome, 'inconclusive');
    assert.equal(ev.observed, null);
    assert.match(ev.reason!, /latency is absent, not 0 ms/);
  });

  it('a p99 on too few requests cannot pass, and says how many it needs; on enough, it passes', () => {
    const few = evaluateTolerance(tolerance('shop.latency.p99 < 250ms'), input({ canary: window('canary', { ticks: 2, perTick: 50 }) }));
    assert.equal(few.outcome, 'inconclusive', few.reason);
    assert.equal(few.samples!.needed, 299);
    const enough = evaluateTolerance(tolerance('shop.latency.p99 < 250ms'), input({ canary: window('canary', { ticks: 4, perTick: 100 }) }));
    assert.equal(enough.outcome, 'pass', enough.reason);
  });

  it('an absolute error rate passes only when its upper bound is below the limit', () => {
    const small = evaluateTolerance(tolerance('shop.errors.rate < 1%'), input({ canary: window('canary', { ticks: 2, perTick: 50 }) }));
    assert.equal(small.outcome, 'inconclusive');
    const big = evaluateTolerance(tolerance('shop.errors.rate < 1%'), input({ canary: window('canary', { ticks: 10, perTick: 100 }) }));
    assert.equal(big.outcome, 'pass', big.reason);
    const bad = evaluateTolerance(tolerance('shop.errors.rate < 1%'), input({ canary: window('canary', { ticks: 10, perTick: 100, errors: 10 }) }));
    assert.equal(bad.outcome, 'fail');
  });

  it('requests still in flight at the end can turn a pass into inconclusive, never into a silent pass', () => {
    const canary = window('canary', { ticks: 10, perTick: 100, outstanding: 40, ceiling: 2000 });
    const ev = evaluateTolerance(tolerance('shop.errors.rate < 2%'), input({ canary }));
    assert.equal(ev.outcome, 'inconclusive');
    assert.match(ev.reason!, /40 request\(s\) were still in flight/);
  });

  it('an untrustworthy generator makes the check inconclusive, whatever the numbers say', () => {
    const canary = window('canary', { ticks: 5, perTick: 40, scheduled: 100, dropped: 60 });
    const all = window('untouched', { ticks: 5, perTick: 40, scheduled: 100, dropped: 60 });
    const ev = evaluateTolerance(tolerance('shop.errors.rate < 50%'), input({ canary, all }));
    assert.equal(ev.outcome, 'inconclusive');
    assert.match(ev.reason!, /load generator could not keep its schedule.*never made/);
  });

  it('a probe that could not measure is the tool\'s failure (error), not the system\'s deviation', () => {
    const failures = new Map([['shop', { looks: 10, failed: 9, missing: {}, lastError: 'connection refused' }]]);
    const ev = evaluateTolerance(tolerance('shop.latency.p99 canary <= 1.2x control'), input({}, { failures }));
    assert.equal(ev.outcome, 'error');
    assert.match(ev.reason!, /could not measure: 9 of 10 collections .*connection refused/);
  });

  it('canary vs control says which statistic it tested: per-interval values and the Hodges-Lehmann estimate', () => {
    // The canary's window p99 is dominated by one slow tick; the per-interval p99s are alike.
    const canary = window('canary', { ticks: 10, perTick: 100, ms: (i) => (i === 99 ? 70 : 10 + (i % 7)) });
    const control = window('control', { ticks: 10, perTick: 100 });
    const ev = evaluateTolerance(tolerance('shop.latency.p99 canary <= 2x control'), input({ canary, control }));
    assert.match(String(ev.observed), /^p99 of each interval: canary median .* of 10, control median .* of 10; Hodges-Lehmann ratio [\d.]+ \(window latency\.p99: canary/);
    assert.match(ev.expected, /^p99 of each interval: canary latency\.p99 <= 2x control/);
    assert.equal(ev.test, 'mann-whitney-u+hodges-lehmann');
  });

  it('an error check with no errors anywhere passes on the default allowance only with enough requests', () => {
    const t = tolerance('shop.errors.rate canary <= 1.5x control');
    const few = evaluateTolerance(t, input({ canary: window('canary', { ticks: 2, perTick: 5 }), control: window('control', { ticks: 2, perTick: 5 }) }));
    assert.equal(few.outcome, 'inconclusive');
    const many = evaluateTolerance(t, input({ canary: window('canary', { ticks: 10, perTick: 100 }), control: window('control', { ticks: 10, perTick: 100 }) }));
    assert.equal(many.outcome, 'pass', many.reason);
    assert.match(many.expected, /\+ 0\.5% \(default allowance\)/);
  });
});
