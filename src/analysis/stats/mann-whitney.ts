import { mwuCdf, mwuSf } from './mwu-distribution.js';
import { rankWithTies } from './ranks.js';
import { normalCdf, normalSf } from './special.js';
import { checkAlternative, checkSample, type Alternative } from './validate.js';

export type MwuMethod = 'exact' | 'normal';

export interface MannWhitneyOptions {
  /** 'greater': x tends to be larger than y. Default 'two-sided'. */
  alternative?: Alternative;
  /** Continuity correction in the normal approximation. Default true. */
  continuity?: boolean;
  /** 'auto' (default) follows SciPy's rule: exact when a sample has at most 8 values and nothing is tied. */
  method?: 'auto' | 'exact' | 'asymptotic';
}

export interface MannWhitneyResult {
  /** U of x: the number of pairs (x_i, y_j) with x_i > y_j, ties counting one half (SciPy's statistic). */
  u: number;
  /**
   * Standardized U of x: tie-corrected, continuity-corrected toward the mean as the normal path does
   * (R's convention; 0 when every value is tied). Reported on the exact path too, for information.
   */
  z: number;
  pValue: number;
  n1: number;
  n2: number;
  method: MwuMethod;
}

/** Largest n1·n2 the 'auto' rule computes exactly (beyond it the normal approximation is excellent). */
export const AUTO_EXACT_MAX_PAIRS = 100_000;

/** Mann-Whitney U test (Wilcoxon rank-sum) of x against y. */
export function mannWhitney(x: readonly number[], y: readonly number[], opts: MannWhitneyOptions = {}): MannWhitneyResult {
  checkSample('x', x);
  checkSample('y', y);
  const alternative = opts.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const continuity = opts.continuity ?? true;
  const requested = opts.method ?? 'auto';
  const n1 = x.length;
  const n2 = y.length;
  const { ranks, tieTerm, hasTies } = rankWithTies([...x, ...y]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i]!;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const exact =
    !hasTies &&
    (requested === 'exact' || (requested === 'auto' && Math.min(n1, n2) <= 8 && n1 * n2 <= AUTO_EXACT_MAX_PAIRS));
  // The signed z the normal path uses, R's convention: the correction moves U toward the mean.
  const correction = !continuity ? 0 : alternative === 'greater' ? 0.5 : alternative === 'less' ? -0.5 : Math.sign(u - mu) * 0.5;
  const z = sigma > 0 ? (u - mu - correction) / sigma : 0;
  let pValue: number;
  if (exact) {
    const upper = mwuSf(u, n1, n2);
    const lower = mwuCdf(u, n1, n2);
    pValue = alternative === 'greater' ? upper : alternative === 'less' ? lower : 2 * Math.min(upper, lower);
  } else if (sigma === 0) {
    pValue = 1;
  } else {
    pValue = alternative === 'greater' ? normalSf(z) : alternative === 'less' ? normalCdf(z) : 2 * Math.min(normalCdf(z), normalSf(z));
  }
  return { u, z, pValue: Math.min(1, pValue), n1, n2, method: exact ? 'exact' : 'normal' };
}
