import { mwuCdf, mwuQuantile } from './mwu-distribution.js';
import { medianPairwiseDifference, pairwiseDifferenceOrderStatistics } from './pairwise-differences.js';
import { rankWithTies, tieTermOf } from './ranks.js';
import { normalCdf, normalQuantile } from './special.js';
import { checkProbability, checkSample } from './validate.js';

export interface HodgesLehmannOptions {
  /** 'auto' (default) follows R's `wilcox.test`: exact when both samples have fewer than 50 values and nothing is tied. */
  method?: 'auto' | 'exact' | 'asymptotic';
}

export interface HodgesLehmannResult {
  /** Median of all pairwise differences x_i - y_j: the shift of x relative to y. */
  estimate: number;
  lower: number;
  upper: number;
  /** The confidence level asked for. */
  confidence: number;
  /** The coverage the interval actually has (at least `confidence` unless the samples are too small to reach it). */
  achievedConfidence: number;
  method: 'exact' | 'normal';
  n1: number;
  n2: number;
}

/**
 * Hodges-Lehmann shift estimate of x - y with its distribution-free confidence interval, the order
 * statistics of the pairwise differences that the Mann-Whitney distribution picks (Bauer 1972), as R's
 * `wilcox.test(x, y, conf.int = TRUE)` computes it.
 */
export function hodgesLehmann(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
  opts: HodgesLehmannOptions = {},
): HodgesLehmannResult {
  checkSample('x', x);
  checkSample('y', y);
  checkProbability('confidence', confidence, { open: true });
  const n1 = x.length;
  const n2 = y.length;
  const mn = n1 * n2;
  const alpha = 1 - confidence;
  const requested = opts.method ?? 'auto';
  const ties = rankWithTies([...x, ...y]).hasTies;
  const exact = !ties && (requested === 'exact' || (requested === 'auto' && n1 < 50 && n2 < 50));
  const estimate = medianPairwiseDifference(x, y);
  if (exact) {
    // qu: the smallest q with P(U <= q) >= alpha/2; R falls back to 1 when even q = 0 is too likely.
    const qu = Math.max(1, mwuQuantile(alpha / 2, n1, n2));
    const [lower, upper] = pairwiseDifferenceOrderStatistics(x, y, [qu, mn - qu + 1]);
    const achievedConfidence = 1 - 2 * mwuCdf(qu - 1, n1, n2);
    return { estimate, lower: lower!, upper: upper!, confidence, achievedConfidence, method: 'exact', n1, n2 };
  }
  // Normal approximation with R's continuity correction. Shifting x by a generic d leaves only the
  // ties within each sample, so those (not the ties between samples) enter the variance.
  const n = n1 + n2;
  const tieTerm = tieTermOf(x) + tieTermOf(y);
  const sigma = Math.sqrt((mn / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = normalQuantile(1 - alpha / 2);
  const a = clamp(Math.ceil(mn / 2 - 0.5 - z * sigma), 1, mn);
  const b = clamp(Math.ceil(mn / 2 + 0.5 + z * sigma), 1, mn);
  const [lower, upper] = pairwiseDifferenceOrderStatistics(x, y, [a, b]);
  const achievedConfidence = 1 - normalCdf((a - 0.5 - mn / 2) / sigma) - normalCdf((mn / 2 - b + 0.5) / sigma);
  return { estimate, lower: lower!, upper: upper!, confidence, achievedConfidence, method: 'normal', n1, n2 };
}

/**
 * The same on log values: the ratio x/y a typical x is of a typical y (for example "canary p99 is
 * 1.3x control's"), with its interval. Every value must be positive.
 */
export function hodgesLehmannRatio(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
  opts: HodgesLehmannOptions = {},
): HodgesLehmannResult {
  // hodgesLehmann checks the samples (on their logs: toLogs refuses values <= 0 first).
  const shift = hodgesLehmann(toLogs('x', x), toLogs('y', y), confidence, opts);
  return { ...shift, estimate: Math.exp(shift.estimate), lower: Math.exp(shift.lower), upper: Math.exp(shift.upper) };
}

function toLogs(name: string, values: readonly number[]): number[] {
  return values.map((v, i) => {
    if (!(v > 0)) throw new RangeError(`${name}[${i}] must be positive for a ratio, got ${v}`);
    return Math.log(v);
  });
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
