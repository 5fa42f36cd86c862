/**
 * The binomial distribution, computed to near machine precision: the probability mass by Loader's
 * saddle-point form (as R's `dbinom`), the tails by summing outward from the cut until the terms vanish.
 */
import { logGamma } from './special.js';

const LN_2PI = Math.log(2 * Math.PI);

// ln(n!) - [(n + 1/2) ln n - n + ln √(2π)]: the error of Stirling's formula.
function stirlingError(n: number): number {
  if (n <= 15) return logGamma(n + 1) - (n + 0.5) * Math.log(n) + n - 0.5 * LN_2PI;
  const nn = n * n;
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / nn) / nn) / nn) / nn) / n;
}

// x ln(x / np) + np - x, without cancellation when x is close to np.
function deviance(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (!Number.isInteger(k) || k < 0 || k > n) return 0;
  const q = 1 - p;
  if (p === 0) return k === 0 ? 1 : 0;
  if (q === 0) return k === n ? 1 : 0;
  if (k === 0) return n === 0 ? 1 : Math.exp(p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q));
  if (k === n) return Math.exp(q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p));
  const lc = stirlingError(n) - stirlingError(k) - stirlingError(n - k) - deviance(k, n * p) - deviance(n - k, n * q);
  const lf = LN_2PI + Math.log(k) + Math.log1p(-k / n);
  return Math.exp(lc - 0.5 * lf);
}

/** P(X <= k). */
export function binomialCdf(k: number, n: number, p: number): number {
  k = Math.floor(k);
  if (k < 0) return 0;
  if (k >= n) return 1;
  const mode = Math.floor((n + 1) * p);
  if (k < mode) return sumDown(k, n, p);
  return 1 - sumUp(k + 1, n, p);
}

/** P(X >= k). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  k = Math.ceil(k);
  if (k <= 0) return 1;
  if (k > n) return 0;
  const mode = Math.floor((n + 1) * p);
  if (k > mode) return sumUp(k, n, p);
  return 1 - sumDown(k - 1, n, p);
}

// Σ P(X = i) for i = k, k-1, ... (k below the mode, so the terms fall).
function sumDown(k: number, n: number, p: number): number {
  let term = binomialPmf(k, n, p);
  let sum = term;
  const ratio = (1 - p) / p;
  for (let i = k; i > 0 && term > sum * 1e-17; i--) {
    term *= (i / (n - i + 1)) * ratio;
    sum += term;
  }
  return Math.min(1, sum);
}

// Σ P(X = i) for i = k, k+1, ... (k above the mode, so the terms fall).
function sumUp(k: number, n: number, p: number): number {
  let term = binomialPmf(k, n, p);
  let sum = term;
  const ratio = p / (1 - p);
  for (let i = k; i < n && term > sum * 1e-17; i++) {
    term *= ((n - i) / (i + 1)) * ratio;
    sum += term;
  }
  return Math.min(1, sum);
}
