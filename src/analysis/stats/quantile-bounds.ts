import { binomialCdf } from './binomial-distribution.js';
import { checkCount, checkProbability } from './validate.js';

export interface QuantileRankBounds {
  /** 1-based rank in the sorted sample whose value is at most the q-quantile with probability >= 1 - alpha; undefined when no rank is (too few values). */
  lower?: number;
  /** 1-based rank whose value is at least the q-quantile with probability >= 1 - alpha; undefined when no rank is (too few values). */
  upper?: number;
}

/**
 * Distribution-free one-sided confidence bounds for a quantile, as ranks in the sorted sample: the
 * number of values below the q-quantile is Binomial(n, q), so the value of rank u is above the
 * quantile unless at least u values fell below it, which happens with probability 1 - P(B <= u - 1).
 * With 300 values, the 99th percentile's upper bound is the largest one (0.99^300 < 0.05); with fewer,
 * there is none: a p99 measured on 50 requests says little about the p99 of the system.
 */
export function quantileRankBounds(n: number, q: number, alpha: number): QuantileRankBounds {
  checkCount('n', n);
  checkProbability('q', q, { open: true });
  checkProbability('alpha', alpha, { open: true });
  if (n === 0) return {};
  // Smallest u with P(B <= u - 1) >= 1 - alpha.
  let upper: number | undefined;
  if (binomialCdf(n - 1, n, q) >= 1 - alpha) {
    let lo = 1;
    let hi = n;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (binomialCdf(mid - 1, n, q) >= 1 - alpha) hi = mid;
      else lo = mid + 1;
    }
    upper = lo;
  }
  // Largest l with P(B >= l) >= 1 - alpha, i.e. P(B <= l - 1) <= alpha.
  let lower: number | undefined;
  if (binomialCdf(0, n, q) <= alpha) {
    let lo = 1;
    let hi = n;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (binomialCdf(mid - 1, n, q) <= alpha) lo = mid;
      else hi = mid - 1;
    }
    lower = lo;
  }
  return { ...(lower !== undefined ? { lower } : {}), ...(upper !== undefined ? { upper } : {}) };
}
