import { hodgesLehmannRatio } from './hodges-lehmann.js';
import { mannWhitney } from './mann-whitney.js';
import { logChoose } from './special.js';

export type Direction = 'lower-is-better' | 'higher-is-better';
export type CohortDecision = 'pass' | 'fail' | 'inconclusive';

export interface CompareCohortsInput {
  /** One value per interval (for example each tick's p99), all positive. */
  canary: readonly number[];
  control: readonly number[];
  direction: Direction;
  /** Practical margin as a ratio >= 1: 1.2 tolerates canary up to 1.2x worse than control. */
  margin: number;
  /** One-sided level of each decision; the interval has confidence 1 - 2·alpha. */
  alpha: number;
  /** Fewest values per cohort before anything but `inconclusive` is said. */
  minSamples: number;
  /** Values below this are raised to it before taking logs (for example 0 requests/s). Without it, a value <= 0 is an error. */
  floor?: number;
}

export interface CompareCohortsResult {
  decision: CohortDecision;
  reason: string;
  /** Hodges-Lehmann estimate of canary / control (NaN when a cohort has no values). */
  estimateRatio: number;
  /** Interval for canary / control at `confidence`. */
  interval: [number, number];
  confidence: number;
  /** One-sided Mann-Whitney p-value for "canary is worse". */
  pValue: number;
  n1: number;
  n2: number;
  method: 'exact' | 'normal';
  /** When there were too few values: how many each cohort needs. */
  needed?: number;
  test: 'mann-whitney-u+hodges-lehmann';
}

const TEST = 'mann-whitney-u+hodges-lehmann' as const;

/**
 * Canary vs control on one signal: a rank test and a Hodges-Lehmann ratio interval on log values,
 * judged against a practical margin. The rule is written out in docs/statistics.md.
 */
export function compareCohorts(input: CompareCohortsInput): CompareCohortsResult {
  const { direction, margin, alpha, minSamples } = input;
  if (direction !== 'lower-is-better' && direction !== 'higher-is-better') throw new RangeError(`unknown direction ${direction}`);
  if (!(margin >= 1) || !Number.isFinite(margin)) throw new RangeError(`margin must be a ratio >= 1, got ${margin}`);
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be in (0, 0.5), got ${alpha}`);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new RangeError(`minSamples must be a positive integer, got ${minSamples}`);
  const canary = applyFloor('canary', input.canary, input.floor);
  const control = applyFloor('control', input.control, input.floor);
  const n1 = canary.length;
  const n2 = control.length;
  const confidence = 1 - 2 * alpha;
  const base = { confidence, n1, n2, test: TEST };
  const needed = Math.max(minSamples, smallestInformativeSize(alpha));
  if (n1 === 0 || n2 === 0) {
    return { ...base, decision: 'inconclusive', reason: tooFew(n1, n2, needed), estimateRatio: NaN, interval: [0, Infinity], pValue: 1, method: 'normal', needed };
  }
  const hl = hodgesLehmannRatio(canary, control, confidence);
  const logs = (v: number[]): number[] => v.map(Math.log);
  const worse = direction === 'lower-is-better' ? 'greater' : 'less';
  const mw = mannWhitney(logs(canary), logs(control), { alternative: worse, method: hl.method === 'exact' ? 'exact' : 'asymptotic' });
  const result = { ...base, estimateRatio: hl.estimate, interval: [hl.lower, hl.upper] as [number, number], pValue: mw.pValue, method: hl.method };
  if (n1 < minSamples || n2 < minSamples || hl.achievedConfidence < confidence - 1e-12) {
    return { ...result, decision: 'inconclusive', reason: tooFew(n1, n2, needed), needed };
  }
  // "Badness": how many times worse canary is; > 1 is worse in either direction.
  const flip = direction === 'higher-is-better';
  const bad = (r: number): number => (flip ? 1 / r : r);
  const badEstimate = bad(hl.estimate);
  const badLower = flip ? bad(hl.upper) : bad(hl.lower);
  const badUpper = flip ? bad(hl.lower) : bad(hl.upper);
  const summary = `canary/control ${fmt(hl.estimate)} (${pct(confidence)} interval ${fmt(hl.lower)}..${fmt(hl.upper)}, one-sided p ${fmtP(mw.pValue)})`;
  const limit = `${fmt(margin)}x margin (${direction})`;
  if (badLower > margin) {
    return { ...result, decision: 'fail', reason: `${summary}: the whole interval is worse than the ${limit}` };
  }
  if (mw.pValue < alpha && badEstimate > margin) {
    return { ...result, decision: 'fail', reason: `${summary}: significantly worse, and the estimate is beyond the ${limit}` };
  }
  if (badUpper <= margin) {
    return { ...result, decision: 'pass', reason: `${summary}: the whole interval is within the ${limit}` };
  }
  return { ...result, decision: 'inconclusive', reason: `${summary}: the interval straddles the ${limit}; more data would decide` };
}

/** Per-cohort size at which the exact interval can reach 1 - 2·alpha at all: 1 / C(2n, n) <= alpha. */
export function smallestInformativeSize(alpha: number): number {
  let n = 1;
  while (-logChoose(2 * n, n) > Math.log(alpha) + 1e-12) n++;
  return n;
}

function applyFloor(name: string, values: readonly number[], floor: number | undefined): number[] {
  if (!Array.isArray(values)) throw new RangeError(`${name} must be an array of numbers`);
  if (floor !== undefined && !(floor > 0)) throw new RangeError(`floor must be positive, got ${floor}`);
  return values.map((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] is not a finite number: ${v}`);
    if (floor !== undefined) return Math.max(floor, v);
    if (!(v > 0)) throw new RangeError(`${name}[${i}] must be positive (or give a floor), got ${v}`);
    return v;
  });
}

function tooFew(n1: number, n2: number, needed: number): string {
  return `too few values: canary has ${n1}, control has ${n2}; need at least ${needed} per cohort`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

function fmtP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function pct(c: number): string {
  return `${Number((c * 100).toPrecision(4))}%`;
}
