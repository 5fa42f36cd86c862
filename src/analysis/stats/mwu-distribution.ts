/**
 * The exact null distribution of the Mann-Whitney U statistic for samples of sizes m and n without
 * ties. The number of arrangements with U = k is the coefficient of q^k in the Gaussian binomial
 * [m+n choose m]_q, built as ∏ (1 - q^(n+i)) / (1 - q^i) for i = 1..m (Harding 1984), kept normalized
 * to probabilities at every step and truncated at mn/2 (the distribution is symmetric).
 */

const cache = new Map<string, Float64Array>();
const CACHE_LIMIT = 32;

/** P(U <= k) for k = 0 .. floor(mn/2). */
function lowerHalfCdf(m: number, n: number): Float64Array {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const key = `${small}x${large}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const length = Math.floor((small * large) / 2) + 1;
  const poly = new Float64Array(length);
  poly[0] = 1;
  for (let i = 1; i <= small; i++) {
    const shift = large + i;
    for (let k = length - 1; k >= shift; k--) poly[k]! -= poly[k - shift]!;
    for (let k = i; k < length; k++) poly[k]! += poly[k - i]!;
    const scale = i / (large + i);
    for (let k = 0; k < length; k++) poly[k]! *= scale;
  }
  const cdf = new Float64Array(length);
  let sum = 0;
  for (let k = 0; k < length; k++) {
    sum += Math.max(0, poly[k]!);
    cdf[k] = sum;
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, cdf);
  return cdf;
}

/** P(U <= k) under the null, U the Mann-Whitney statistic of samples of sizes m and n. */
export function mwuCdf(k: number, m: number, n: number): number {
  const mn = m * n;
  const q = Math.floor(k);
  if (q < 0) return 0;
  if (q >= mn) return 1;
  const cdf = lowerHalfCdf(m, n);
  if (q < cdf.length) return cdf[q]!;
  // P(U <= q) = 1 - P(U >= q + 1) = 1 - P(U <= mn - q - 1) by symmetry.
  return 1 - cdf[mn - q - 1]!;
}

/** P(U >= k) under the null. */
export function mwuSf(k: number, m: number, n: number): number {
  return mwuCdf(m * n - Math.ceil(k), m, n);
}

/** The smallest q with P(U <= q) >= p, as R's `qwilcox` (with its 10·ε fuzz). */
export function mwuQuantile(p: number, m: number, n: number): number {
  const target = p - 10 * Number.EPSILON;
  const mn = m * n;
  for (let q = 0; q < mn; q++) if (mwuCdf(q, m, n) >= target) return q;
  return mn;
}
