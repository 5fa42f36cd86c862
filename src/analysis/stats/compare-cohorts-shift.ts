import type { CohortDecision, Direction } from './compare-cohorts.js';
import { hodgesLehmann } from './hodges-lehmann.js';
import { mannWhitney } from './mann-whitney.js';
import { smallestInformativeSize } from './compare-cohorts.js';
import { checkSample } from './validate.js';

export interface CompareShiftInput {
  /** One value per interval for each cohort (for example each tick's p99, in ms). */
  canary: readonly number[];
  control: readonly number[];
  direction: Direction;
  /** The control is scaled by this before the comparison (1 for a pure shift). Must be >= 1 for lower-is-better, <= 1 for higher-is-better. */
  factor: number;
  /** How much worse than `factor` x control the canary may be, in the values' own unit (>= 0). */
  allowance: number;
  alpha: number;
  minSamples: number;
}

export interface CompareShiftResult {
  decision: CohortDecision;
  reason: string;
  /** Hodges-Lehmann estimate of canary - factor·control, in the values' unit. */
  estimate: number;
  /** Its interval at `confidence`. */
  interval: [number, number];
  confidence: number;
  /** One-sided Mann-Whitney p-value for "canary is worse than factor·control plus the allowance". */
  pValue: number;
  n1: number;
  n2: number;
  method: 'exact' | 'normal';
  needed?: number;
  test: 'mann-whitney-u+hodges-lehmann-shift';
}

const TEST = 'mann-whitney-u+hodges-lehmann-shift' as const;

/**
 * Canary vs control with an additive allowance: "canary p99 <= control + 150ms", or with both a
 * factor and an allowance, "canary <= 1.2x control + 20ms". The Hodges-Lehmann shift of canary
 * against factor·control (raw values, not logs) is judged against the allowance, with the same rule
 * as `compareCohorts` (docs/statistics.md): fail when the whole interval is beyond it, or when the
 * rank test is significant and the estimate is beyond it; pass when the whole interval is within it;
 * otherwise inconclusive.
 */
export function compareCohortsShift(input: CompareShiftInput): CompareShiftResult {
  const { direction, factor, allowance, alpha, minSamples } = input;
  if (direction !== 'lower-is-better' && direction !== 'higher-is-better') throw new RangeError(`unknown direction ${direction}`);
  const lower = direction === 'lower-is-better';
  if (!Number.isFinite(factor) || factor <= 0 || (lower ? factor < 1 : factor > 1)) {
    throw new RangeError(`factor must be ${lower ? '>= 1' : 'in (0, 1]'} for ${direction}, got ${factor}`);
  }
  if (!(allowance >= 0) || !Number.isFinite(allowance)) throw new RangeError(`allowance must be a finite number >= 0, got ${allowance}`);
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be in (0, 0.5), got ${alpha}`);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new RangeError(`minSamples must be a positive integer, got ${minSamples}`);
  checkSample('canary', input.canary, 0);
  checkSample('control', input.control, 0);
  const canary = [...input.canary];
  const scaled = input.control.map((v) => factor * v);
  const n1 = canary.length;
  const n2 = scaled.length;
  const confidence = 1 - 2 * alpha;
  const needed = Math.max(minSamples, smallestInformativeSize(alpha));
  const base = { confidence, n1, n2, test: TEST };
  if (n1 === 0 || n2 === 0) {
    return { ...base, decision: 'inconclusive', reason: tooFew(n1, n2, needed), estimate: NaN, interval: [-Infinity, Infinity], pValue: 1, method: 'normal', needed };
  }
  const hl = hodgesLehmann(canary, scaled, confidence);
  // "Worse" than the limit: above factor·control + allowance (lower is better) or below factor·control - allowance.
  const limit = scaled.map((v) => (lower ? v + allowance : v - allowance));
  const mw = mannWhitney(canary, limit, { alternative: lower ? 'greater' : 'less', method: hl.method === 'exact' ? 'exact' : 'asymptotic' });
  const result = { ...base, estimate: hl.estimate, interval: [hl.lower, hl.upper] as [number, number], pValue: mw.pValue, method: hl.method };
  if (n1 < minSamples || n2 < minSamples || hl.achievedConfidence < confidence - 1e-12) {
    return { ...result, decision: 'inconclusive', reason: tooFew(n1, n2, needed), needed };
  }
  // Badness: how far beyond factor·control the canary is, positive when worse, against the allowance.
  const bad = (d: number): number => (lower ? d : -d);
  const badEstimate = bad(hl.estimate);
  const badLow = lower ? hl.lower : -hl.upper;
  const badHigh = lower ? hl.upper : -hl.lower;
  const what = `canary - ${factor === 1 ? '' : `${fmt(factor)}x `}control ${fmtSigned(hl.estimate)} (${pct(confidence)} interval ${fmtSigned(hl.lower)}..${fmtSigned(hl.upper)}, one-sided p ${fmtP(mw.pValue)})`;
  const allowed = `the allowance of ${fmt(allowance)} (${direction})`;
  if (badLow > allowance) return { ...result, decision: 'fail', reason: `${what}: the whole interval is worse than ${allowed}` };
  if (mw.pValue < alpha && badEstimate > allowance) return { ...result, decision: 'fail', reason: `${what}: significantly worse, and the estimate is beyond ${allowed}` };
  if (badHigh <= allowance) return { ...result, decision: 'pass', reason: `${what}: the whole interval is within ${allowed}` };
  return { ...result, decision: 'inconclusive', reason: `${what}: the interval straddles ${allowed}; more data would decide` };
}

function tooFew(n1: number, n2: number, needed: number): string {
  return `too few values: canary has ${n1}, control has ${n2}; need at least ${needed} per cohort`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

function fmtSigned(v: number): string {
  return v > 0 ? `+${fmt(v)}` : fmt(v);
}

function fmtP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function pct(c: number): string {
  return `${Number((c * 100).toPrecision(4))}%`;
}
