/** A seeded pseudo-random source for simulations, so every run of a simulation gives the same numbers. */

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, max). */
  int(max: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** exp(N(mu, sigma²)). */
  logNormal(mu: number, sigma: number): number;
  bernoulli(p: number): boolean;
  binomial(n: number, p: number): number;
  poisson(lambda: number): number;
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  let spare: number | undefined;
  const random: Random = {
    next,
    int: (max) => Math.floor(next() * max),
    normal() {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    logNormal: (mu, sigma) => Math.exp(mu + sigma * random.normal()),
    bernoulli: (p) => next() < p,
    binomial(n, p) {
      if (p > 0.5) return n - random.binomial(n, 1 - p);
      if (n * p < 30) {
        // Inversion: walk up the probability mass from 0.
        let k = 0;
        let mass = Math.pow(1 - p, n);
        let cumulative = mass;
        const u = next();
        while (u > cumulative && k < n) {
          mass *= ((n - k) / (k + 1)) * (p / (1 - p));
          k++;
          cumulative += mass;
        }
        return k;
      }
      let count = 0;
      for (let i = 0; i < n; i++) if (next() < p) count++;
      return count;
    },
    poisson(lambda) {
      // Knuth's method in pieces of at most 30 (a sum of Poissons is Poisson).
      let total = 0;
      let rest = lambda;
      while (rest > 0) {
        const piece = Math.min(rest, 30);
        rest -= piece;
        const limit = Math.exp(-piece);
        let product = next();
        while (product > limit) {
          total++;
          product *= next();
        }
      }
      return total;
    },
  };
  return random;
}
