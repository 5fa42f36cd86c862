import type { ToleranceSpec } from '../experiment/model.js';
import type { Evidence } from '../engine/journal.js';
import type { CohortName, WindowSignals } from '../signals/types.js';
import { compareCohorts, errorSplitTest } from './stats/index.js';
import { formatField, round } from './fields.js';

type CanaryVsControl = Extract<ToleranceSpec, { kind: 'canary-vs-control' }>;
type Signals = Partial<Record<CohortName | 'all', WindowSignals>>;
type Decision = Omit<Evidence, 'check' | 'kind' | 'phase' | 'probe'>;

/** Fields a canary-vs-control tolerance can compare, and the per-interval values behind each. */
const INTERVAL_FIELDS: Record<string, (p: WindowSignals['intervals'][number]) => number | undefined> = {
  'latency.p50': (p) => (p.requests > p.errors ? p.p50 : undefined),
  'latency.p99': (p) => (p.requests > p.errors ? p.p99 : undefined),
  'saturation.max': (p) => p.saturation,
  'saturation.mean': (p) => p.saturation,
  'traffic.count': (p) => p.requests,
  'traffic.rate': (p) => p.requests,
};

/** Fields a canary-vs-control tolerance accepts (checked at validation). */
export const CANARY_FIELDS: readonly string[] = [...Object.keys(INTERVAL_FIELDS), 'errors.rate', 'errors.count'];

/**
 * Canary vs control, as Kayenta's judge: a Mann-Whitney rank test on per-interval values with a
 * Hodges-Lehmann interval for the canary/control ratio, against a practical margin; error rates as a
 * binomial split of errors between the cohorts given their traffic. The level is divided by the number
 * of such comparisons in the run (Bonferroni), so more checks do not mean more false verdicts.
 */
export function compareCohortsFor(t: CanaryVsControl, signals: Signals, comparisons: number): Decision {
  const canary = signals.canary;
  const control = signals.control;
  const alpha = t.alpha / Math.max(1, comparisons);
  if (!canary || !control) {
    return { cohort: 'canary', outcome: 'inconclusive', expected: t.text, observed: null, reason: 'the probe did not measure both a canary and a control cohort' };
  }
  if (t.field === 'errors.rate' || t.field === 'errors.count') return errorsDecision(t, canary, control, alpha);
  const pick = INTERVAL_FIELDS[t.field];
  if (!pick) {
    return { cohort: 'canary', outcome: 'error', expected: t.text, observed: null, reason: `canary-vs-control compares ${Object.keys(INTERVAL_FIELDS).join(', ')}, errors.rate; not ${t.field}` };
  }
  const values = (w: WindowSignals): number[] => w.intervals.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const r = compareCohorts({
    canary: values(canary), control: values(control), direction: t.op === '<=' ? 'lower-is-better' : 'higher-is-better',
    margin: t.op === '<=' ? t.margin : 1 / Math.max(1e-9, t.margin), alpha, minSamples: t.minSamples, floor: 1e-3,
  });
  return {
    cohort: 'canary',
    outcome: r.decision,
    expected: `canary ${t.field} ${t.op} ${t.margin}x control`,
    observed: { ratio: round(r.estimateRatio), canary: formatField(t.field, pickWindow(canary, t.field)), control: formatField(t.field, pickWindow(control, t.field)) },
    test: r.test,
    pValue: r.pValue,
    interval: r.interval,
    samples: { canary: r.n1, control: r.n2, ...(r.needed !== undefined ? { neededPerCohort: r.needed } : {}) },
    reason: `${r.reason} (alpha ${round4(alpha)} after correcting for ${comparisons} comparison(s))`,
  };
}

function errorsDecision(t: CanaryVsControl, canary: WindowSignals, control: WindowSignals, alpha: number): Decision {
  const total = canary.errors.count + control.errors.count;
  const samples = { canaryRequests: canary.traffic.count, controlRequests: control.traffic.count, canaryErrors: canary.errors.count, controlErrors: control.errors.count };
  const observed = { canary: formatField('errors.rate', canary.errors.rate), control: formatField('errors.rate', control.errors.rate) };
  const expected = `canary errors.rate ${t.op} ${t.margin}x control`;
  if (canary.traffic.count < t.minSamples || control.traffic.count < t.minSamples) {
    return { cohort: 'canary', outcome: 'inconclusive', expected, observed, samples, reason: `too few requests: need ${t.minSamples} per cohort` };
  }
  if (total === 0) return { cohort: 'canary', outcome: 'pass', expected, observed, samples, test: 'binomial error split', reason: 'no errors in either cohort' };
  const r = errorSplitTest({ canaryErrors: canary.errors.count, controlErrors: control.errors.count, canaryTraffic: canary.traffic.count, controlTraffic: control.traffic.count, confidence: 1 - 2 * alpha });
  const worse = r.pValue < alpha;
  let outcome: Evidence['outcome'];
  let reason: string;
  if (worse && r.lower > t.margin) {
    outcome = 'fail';
    reason = `canary gets more than its share of errors (p=${r.pValue.toPrecision(3)}) and the rate ratio is above ${t.margin} (interval ${round(r.lower)}..${round(r.upper)})`;
  } else if (r.upper <= t.margin || !worse) {
    outcome = r.upper <= t.margin || total >= t.minSamples ? 'pass' : 'inconclusive';
    reason = outcome === 'pass' ? `canary's error share is consistent with its traffic share within the margin (p=${r.pValue.toPrecision(3)})` : `only ${total} errors: too few to bound the ratio`;
  } else {
    outcome = 'inconclusive';
    reason = `canary is worse (p=${r.pValue.toPrecision(3)}) but the ratio interval ${round(r.lower)}..${round(r.upper)} straddles the margin ${t.margin}`;
  }
  return { cohort: 'canary', outcome, expected, observed, samples, test: 'binomial error split', pValue: r.pValue, interval: [r.lower, r.upper], reason };
}

function pickWindow(w: WindowSignals, field: string): number {
  const [a, b] = field.split('.') as [keyof WindowSignals, string];
  const v = (w[a] as Record<string, number> | undefined)?.[b];
  return typeof v === 'number' ? v : NaN;
}

function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
