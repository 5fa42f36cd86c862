import type { ToleranceSpec } from '../experiment/model.js';
import type { Evidence } from '../engine/journal.js';
import type { CohortName, IntervalPoint, WindowSignals } from '../signals/types.js';
import { compareCohorts, compareCohortsShift, errorRateMargin, type CohortDecision } from './stats/index.js';
import { formatField, round } from './fields.js';

export type CanaryVsControl = Extract<ToleranceSpec, { kind: 'canary-vs-control' }>;
type Signals = Partial<Record<CohortName | 'all', WindowSignals>>;
type Decision = Omit<Evidence, 'check' | 'kind' | 'phase' | 'probe'>;

/** Error checks with no allowance written get this one: differences below half a percentage point are immaterial. */
export const DEFAULT_ERROR_ALLOWANCE = 0.005;

/** A cohort with more than this share of its requests still in flight at the end cannot pass a comparison. */
export const MAX_OUTSTANDING_SHARE = 0.02;

/** Fields a canary-vs-control tolerance can compare, and the per-interval values behind each. */
const INTERVAL_FIELDS: Record<string, (p: IntervalPoint) => number | undefined> = {
  'latency.p50': (p) => (p.requests > p.errors ? p.p50 : undefined),
  'latency.p90': (p) => (p.requests > p.errors ? p.p90 : undefined),
  'latency.p95': (p) => (p.requests > p.errors ? p.p95 : undefined),
  'latency.p99': (p) => (p.requests > p.errors ? p.p99 : undefined),
  'saturation.max': (p) => p.saturation,
  'saturation.mean': (p) => p.saturation,
  'traffic.count': (p) => p.requests,
  'traffic.rate': (p) => p.requests,
};

/** Fields a canary-vs-control tolerance accepts (checked at validation). */
export const CANARY_FIELDS: readonly string[] = [...Object.keys(INTERVAL_FIELDS), 'errors.rate', 'errors.count'];

/** The allowance an error check uses: the one written, or the default. */
export function errorAllowanceOf(t: CanaryVsControl): number {
  return t.allowance ?? (t.field.startsWith('errors') ? DEFAULT_ERROR_ALLOWANCE : 0);
}

/** `canary latency.p99 <= 1.2x control + 20ms`, in the field's units, as the check reads. */
export function marginText(t: CanaryVsControl): string {
  const allowance = errorAllowanceOf(t);
  const sign = t.op === '<=' ? '+' : '-';
  const factor = t.margin === 1 && allowance > 0 ? 'control' : `${t.margin}x control`;
  return `canary ${t.field} ${t.op} ${factor}${allowance > 0 ? ` ${sign} ${formatField(t.field, allowance)}` : ''}${t.allowance === undefined && allowance > 0 ? ' (default allowance)' : ''}`;
}

/**
 * Canary vs control, as Kayenta's judge: a Mann-Whitney rank test on per-interval values with a
 * Hodges-Lehmann interval (of the ratio, or of the shift when an allowance is written), against a
 * practical margin; error rates by their ratio and difference intervals (`errorRateMargin`). The
 * level is divided by the number of such comparisons in the run (Bonferroni). Requests still in
 * flight at the end are counted the worst way for a pass and the best way for a fail.
 */
export function compareCohortsFor(t: CanaryVsControl, signals: Signals, comparisons: number): Decision {
  const canary = signals.canary;
  const control = signals.control;
  const alpha = t.alpha / Math.max(1, comparisons);
  const expected = marginText(t);
  if (!canary || !control) {
    return { cohort: 'canary', outcome: 'inconclusive', expected, observed: null, reason: `the probe measured ${!canary && !control ? 'neither cohort' : `no ${!canary ? 'canary' : 'control'} traffic`} in this phase` };
  }
  const corrected = `alpha ${round4(alpha)} after correcting for ${comparisons} comparison(s)`;
  if (t.field === 'errors.rate' || t.field === 'errors.count') return errorsDecision(t, canary, control, alpha, corrected);
  return intervalDecision(t, canary, control, alpha, corrected, signals.all);
}

function intervalDecision(t: CanaryVsControl, canary: WindowSignals, control: WindowSignals, alpha: number, corrected: string, all?: WindowSignals): Decision {
  const pick = INTERVAL_FIELDS[t.field]!;
  // An interval in which the generator fell behind is left out for every cohort (judged on all its traffic).
  const untrusted = new Set((all ?? canary).intervals.filter((p) => p.trusted === false).map((p) => p.at));
  const values = (w: WindowSignals): number[] => w.intervals.filter((p) => p.trusted !== false && !untrusted.has(p.at)).map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const c = values(canary);
  const k = values(control);
  const direction = t.op === '<=' ? 'lower-is-better' : 'higher-is-better';
  const allowance = errorAllowanceOf(t);
  const what = `${t.field.replace(/^latency\./, '')} of each interval`;
  const medians = `canary median ${show(t.field, median(c))} of ${c.length}, control median ${show(t.field, median(k))} of ${k.length}`;
  const windows = `window ${t.field}: canary ${show(t.field, windowValue(canary, t.field))}, control ${show(t.field, windowValue(control, t.field))}`;
  let outcome: CohortDecision;
  let observed: string;
  let rest: Partial<Decision>;
  if (allowance > 0) {
    const r = compareCohortsShift({ canary: c, control: k, direction, factor: t.margin, allowance, alpha, minSamples: t.minSamples });
    outcome = r.decision;
    observed = `${what}: ${medians}; Hodges-Lehmann canary - ${t.margin === 1 ? '' : `${t.margin}x `}control ${Number.isFinite(r.estimate) ? show(t.field, r.estimate) : 'n/a'} (${windows})`;
    rest = { test: r.test, pValue: r.pValue, interval: r.interval, samples: { canaryIntervals: r.n1, controlIntervals: r.n2, ...(r.needed !== undefined ? { neededPerCohort: r.needed } : {}) }, reason: `${r.reason} (${corrected})` };
  } else {
    const r = compareCohorts({
      canary: c, control: k, direction, margin: t.op === '<=' ? t.margin : 1 / Math.max(1e-9, t.margin), alpha, minSamples: t.minSamples, floor: 1e-3,
    });
    outcome = r.decision;
    observed = `${what}: ${medians}; Hodges-Lehmann ratio ${Number.isFinite(r.estimateRatio) ? round(r.estimateRatio) : 'n/a'} (${windows})`;
    rest = { test: r.test, pValue: r.pValue, interval: r.interval, samples: { canaryIntervals: r.n1, controlIntervals: r.n2, ...(r.needed !== undefined ? { neededPerCohort: r.needed } : {}) }, reason: `${r.reason} (${corrected})` };
  }
  if (untrusted.size > 0) rest.reason = `${rest.reason}; ${untrusted.size} interval(s) left out because the load generator fell behind in them`;
  if (outcome === 'pass') {
    const stuck = stillInFlight(canary, control);
    if (stuck) return { cohort: 'canary', outcome: 'inconclusive', expected: `${what}: ${t.op === '<=' ? 'within' : 'at least'} ${marginText(t)}`, observed, ...rest, reason: `${stuck}; ${rest.reason}` };
  }
  return { cohort: 'canary', outcome, expected: `${what}: ${marginText(t)}`, observed, ...rest };
}

function errorsDecision(t: CanaryVsControl, canary: WindowSignals, control: WindowSignals, alpha: number, corrected: string): Decision {
  const allowance = errorAllowanceOf(t);
  const oc = canary.outstanding?.count ?? 0;
  const ok = control.outstanding?.count ?? 0;
  const judge = (canaryExtraErrors: number, controlExtraErrors: number) =>
    errorRateMargin({
      canary: { errors: canary.errors.count + canaryExtraErrors, requests: canary.traffic.count + oc },
      control: { errors: control.errors.count + controlExtraErrors, requests: control.traffic.count + ok },
      factor: t.margin, allowance, alpha, minRequests: t.minSamples,
    });
  // Requests still in flight: a pass must hold if every canary one fails and every control one succeeds,
  // a fail if the canary's all succeed and the control's all fail.
  const worst = judge(oc, 0);
  const best = oc + ok > 0 ? judge(0, ok) : worst;
  const r = worst.decision === 'pass' ? worst : best.decision === 'fail' ? best : oc + ok > 0 && worst.decision !== best.decision ? { ...worst, decision: 'inconclusive' as const } : worst;
  const samples = {
    canaryRequests: canary.traffic.count, controlRequests: control.traffic.count, canaryErrors: canary.errors.count, controlErrors: control.errors.count,
    ...(oc + ok > 0 ? { canaryOutstanding: oc, controlOutstanding: ok } : {}),
    ...(r.needed !== undefined ? { neededPerCohort: r.needed } : {}),
  };
  const observed = `errors: canary ${canary.errors.count}/${canary.traffic.count} (${formatField('errors.rate', canary.errors.rate)}), control ${control.errors.count}/${control.traffic.count} (${formatField('errors.rate', control.errors.rate)})${oc + ok > 0 ? `; ${oc} canary and ${ok} control requests still in flight` : ''}`;
  const inFlightNote = r !== worst && r.decision === 'inconclusive' ? `with the requests still in flight the answer could go either way; ` : '';
  return {
    cohort: 'canary', outcome: r.decision, expected: marginText(t), observed, samples,
    test: 'error-rate ratio (binomial split) and difference (MOVER)', pValue: r.pValue, interval: r.ratio,
    reason: `${inFlightNote}${r.reason} (${corrected})`,
  };
}

/** Says why a cohort's window cannot support a pass: too many of its requests had no outcome yet. */
function stillInFlight(canary: WindowSignals, control: WindowSignals): string | undefined {
  for (const [name, w] of [['canary', canary], ['control', control]] as const) {
    const o = w.outstanding?.count ?? 0;
    if (o > MAX_OUTSTANDING_SHARE * (w.traffic.count + o)) return `${o} of the ${name}'s ${w.traffic.count + o} requests were still in flight when the phase ended`;
  }
  return undefined;
}

function windowValue(w: WindowSignals, field: string): number | undefined {
  const [a, b] = field.split('.') as [keyof WindowSignals, string];
  const v = (w[a] as Record<string, number> | undefined)?.[b];
  if (a === 'latency' && w.latency.count === 0) return undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function median(v: number[]): number | undefined {
  if (v.length === 0) return undefined;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function show(field: string, v: number | undefined): string {
  if (v === undefined) return 'absent';
  if (field === 'traffic.rate' || field === 'traffic.count') return `${round(v)} requests`;
  return formatField(field, v);
}

function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
