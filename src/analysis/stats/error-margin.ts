import { wilsonInterval } from './binomial.js';
import type { CohortDecision } from './compare-cohorts.js';
import { errorSplitTest } from './error-split.js';
import { normalQuantile } from './special.js';
import { checkCount } from './validate.js';

export interface ErrorRateMarginInput {
  canary: { errors: number; requests: number };
  control: { errors: number; requests: number };
  /** Canary's error rate may be up to this many times control's (>= 1). */
  factor: number;
  /** ... plus this much (a rate, 0..1): immaterial differences between nearly error-free cohorts. */
  allowance: number;
  /** One-sided level of each decision; intervals have confidence 1 - 2·alpha. */
  alpha: number;
  /** Fewest requests per cohort before anything but `inconclusive` is said. */
  minRequests: number;
}

export interface ErrorRateMarginResult {
  decision: CohortDecision;
  reason: string;
  /** One-sided p-value of the binomial split test (canary gets more than its share of the errors). */
  pValue: number;
  /** Interval of canary's error rate over control's (exact, conditional on the total errors). */
  ratio: [number, number];
  /** canary rate - factor x control rate, with its MOVER interval. */
  difference: { estimate: number; lower: number; upper: number };
  /** When undecided for lack of data: about how many requests per cohort would decide. */
  needed?: number;
}

/**
 * Is canary's error rate within `factor` x control's `+ allowance`? Two intervals, each at
 * 1 - 2·alpha: the exact conditional interval of the rate ratio (the binomial split of the errors),
 * and the MOVER interval (Zou and Donner 2008, from Wilson intervals) of the difference
 * canary - factor·control. Pass when either upper end is within its margin (the ratio within the
 * factor, or the difference within the allowance): no material harm is the only reading the data
 * allows. Fail when both lower ends are beyond (and the split test is significant): material harm is
 * the only reading. Anything else is inconclusive, and says roughly how much data would decide.
 * No errors in either cohort bounds only the difference: with no allowance it can never pass.
 */
export function errorRateMargin(input: ErrorRateMarginInput): ErrorRateMarginResult {
  const { canary, control, factor, allowance, alpha, minRequests } = input;
  for (const [name, v] of [['canary.errors', canary.errors], ['canary.requests', canary.requests], ['control.errors', control.errors], ['control.requests', control.requests]] as const) checkCount(name, v);
  if (canary.errors > canary.requests || control.errors > control.requests) throw new RangeError('errors cannot exceed requests');
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new RangeError(`factor must be >= 1, got ${factor}`);
  if (!(allowance >= 0 && allowance < 1)) throw new RangeError(`allowance must be in [0, 1), got ${allowance}`);
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be in (0, 0.5), got ${alpha}`);
  const confidence = 1 - 2 * alpha;
  const unknown = { pValue: 1, ratio: [0, Infinity] as [number, number], difference: { estimate: NaN, lower: -Infinity, upper: Infinity } };
  if (canary.requests < minRequests || control.requests < minRequests || canary.requests === 0 || control.requests === 0) {
    return { ...unknown, decision: 'inconclusive', reason: `too few requests: canary ${canary.requests}, control ${control.requests}; need at least ${Math.max(1, minRequests)} per cohort`, needed: Math.max(1, minRequests) };
  }
  const split = errorSplitTest({ canaryErrors: canary.errors, controlErrors: control.errors, canaryTraffic: canary.requests, controlTraffic: control.requests, confidence });
  const w1 = wilsonInterval(canary.errors, canary.requests, confidence);
  const w2 = wilsonInterval(control.errors, control.requests, confidence);
  const p1 = w1.estimate;
  const p2 = w2.estimate;
  const d = p1 - factor * p2;
  const lower = d - Math.sqrt((p1 - w1.lower) ** 2 + factor ** 2 * (w2.upper - p2) ** 2);
  const upper = d + Math.sqrt((w1.upper - p1) ** 2 + factor ** 2 * (p2 - w2.lower) ** 2);
  const result = { pValue: split.pValue, ratio: [split.lower, split.upper] as [number, number], difference: { estimate: d, lower, upper } };
  const margin = `${fmt(factor)}x control${allowance > 0 ? ` + ${pct(allowance)}` : ''}`;
  const seen = `rate ratio ${fmt(split.rateRatio)} (interval ${fmt(split.lower)}..${fmt(split.upper)}), canary - ${fmt(factor)}x control ${signedPct(d)} (interval ${signedPct(lower)}..${signedPct(upper)}), split p ${fmtP(split.pValue)}`;
  if (split.upper <= factor || upper <= allowance) {
    const why = split.upper <= factor ? `the ratio interval is within ${fmt(factor)}x` : `the difference is within the ${pct(allowance)} allowance`;
    return { ...result, decision: 'pass', reason: `${seen}: ${why}` };
  }
  if (split.pValue < alpha && split.lower > factor && lower > allowance) {
    return { ...result, decision: 'fail', reason: `${seen}: canary's error rate is beyond ${margin}` };
  }
  return { ...result, decision: 'inconclusive', reason: `${seen}: neither within nor beyond ${margin}; more requests would decide`, ...neededFor(input, d, upper, confidence) };
}

/** About how many requests per cohort would narrow the difference's interval to within the allowance, if the rates stay as seen. */
function neededFor(input: ErrorRateMarginInput, d: number, upper: number, confidence: number): { needed?: number } {
  const { allowance, canary, control } = input;
  if (!(allowance > d)) return {};
  const n = Math.min(canary.requests, control.requests);
  if (canary.errors === 0 && control.errors === 0) {
    // Wilson's upper bound for 0 of n is z²/(n + z²): the allowance is reached at n = z²(1 - a)/a.
    const z = normalQuantile(0.5 + confidence / 2);
    return { needed: Math.ceil((z * z * (1 - allowance)) / allowance) };
  }
  const halfWidth = upper - d;
  return { needed: Math.ceil(n * (halfWidth / (allowance - d)) ** 2) };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

function pct(v: number): string {
  return `${Number((v * 100).toPrecision(3))}%`;
}

function signedPct(v: number): string {
  return `${v > 0 ? '+' : ''}${Number((v * 100).toPrecision(3))}pp`;
}

function fmtP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}
