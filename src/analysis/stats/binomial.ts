import { binomialCdf, binomialPmf, binomialUpperTail } from './binomial-distribution.js';
import { normalQuantile } from './special.js';
import { checkAlternative, checkCount, checkProbability, type Alternative } from './validate.js';

export interface BinomialTestResult {
  k: number;
  n: number;
  p: number;
  alternative: Alternative;
  /** k / n (NaN when n = 0). */
  estimate: number;
  pValue: number;
}

/**
 * Exact binomial test of k successes in n trials against success probability p. The two-sided p-value
 * sums every outcome no more likely than k (with a 1e-7 relative tolerance), as SciPy's `binomtest`
 * and R's `binom.test` do.
 */
export function binomialTest(k: number, n: number, p: number, alternative: Alternative = 'two-sided'): BinomialTestResult {
  checkCount('n', n);
  checkCount('k', k);
  if (k > n) throw new RangeError(`k (${k}) cannot exceed n (${n})`);
  checkProbability('p', p);
  checkAlternative(alternative);
  const estimate = n === 0 ? NaN : k / n;
  let pValue: number;
  if (alternative === 'less') pValue = binomialCdf(k, n, p);
  else if (alternative === 'greater') pValue = binomialUpperTail(k, n, p);
  else pValue = twoSided(k, n, p);
  return { k, n, p, alternative, estimate, pValue: Math.min(1, pValue) };
}

function twoSided(k: number, n: number, p: number): number {
  const expected = n * p;
  if (k === expected) return 1;
  const limit = binomialPmf(k, n, p) * (1 + 1e-7);
  if (k < expected) {
    // First j at or above the mean whose mass is within the limit; the mass falls from there up.
    let lo = Math.ceil(expected);
    let hi = n + 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (binomialPmf(mid, n, p) <= limit) hi = mid;
      else lo = mid + 1;
    }
    return binomialCdf(k, n, p) + binomialUpperTail(lo, n, p);
  }
  // Last j at or below the mean whose mass is within the limit; the mass falls from there down.
  let lo = -1;
  let hi = Math.floor(expected);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (binomialPmf(mid, n, p) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return (lo >= 0 ? binomialCdf(lo, n, p) : 0) + binomialUpperTail(k, n, p);
}

export interface ProportionInterval {
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/** Wilson score interval for a proportion (Wilson 1927; Newcombe 1998), as SciPy's `proportion_ci(method='wilson')`. */
export function wilsonInterval(k: number, n: number, confidence = 0.95): ProportionInterval {
  checkProportionArgs(k, n, confidence);
  const z = normalQuantile(0.5 + 0.5 * confidence);
  const p = k / n;
  const q = 1 - p;
  const denom = 2 * (n + z * z);
  const center = (2 * n * p + z * z) / denom;
  const delta = (z / denom) * Math.sqrt(4 * n * p * q + z * z);
  return { estimate: p, lower: k === 0 ? 0 : center - delta, upper: k === n ? 1 : center + delta, confidence };
}

/**
 * Clopper-Pearson ("exact") interval: the p at which observing k or more (k or fewer) has probability
 * (1 - confidence)/2, found by bisection on the binomial tails (equal to the beta quantiles).
 */
export function clopperPearson(k: number, n: number, confidence = 0.95): ProportionInterval {
  checkProportionArgs(k, n, confidence);
  const tail = (1 - confidence) / 2;
  const lower = k === 0 ? 0 : bisect((p) => binomialUpperTail(k, n, p) - tail);
  const upper = k === n ? 1 : bisect((p) => tail - binomialCdf(k, n, p));
  return { estimate: k / n, lower, upper, confidence };
}

// Root of an increasing function on (0, 1).
function bisect(f: (p: number) => number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkProportionArgs(k: number, n: number, confidence: number): void {
  checkCount('n', n);
  checkCount('k', k);
  if (n === 0) throw new RangeError('n must be at least 1 for an interval');
  if (k > n) throw new RangeError(`k (${k}) cannot exceed n (${n})`);
  checkProbability('confidence', confidence, { open: true });
}
