import { strict as assert } from 'node:assert';
import {
  binomialCdf,
  binomialPmf,
  binomialUpperTail,
  logGamma,
  mwuCdf,
  mwuQuantile,
  mwuSf,
  normalCdf,
  normalQuantile,
  normalSf,
} from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

describe('special functions', () => {
  it('logGamma matches scipy.special.gammaln', () => {
    // scipy 1.10.1: gammaln(x)
    const reference = [
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247],
      [1.5, -0.12078223763524526],
      [3.3, 0.9870985778947343],
      [10, 12.801827480081469],
      [100.5, 361.43554046777757],
      [12345.6, 103959.18506616844],
    ] as const;
    for (const [x, expected] of reference) assertClose(logGamma(x), expected, 1e-13);
  });

  it('normalSf matches scipy.stats.norm.sf, far into the tails', () => {
    // scipy 1.10.1: norm.sf(z)
    const reference = [
      [-8, 0.9999999999999993],
      [-3, 0.9986501019683699],
      [-1.96, 0.9750021048517795],
      [-0.5, 0.6914624612740131],
      [0, 0.5],
      [0.3, 0.3820885778110474],
      [1, 0.15865525393145707],
      [2.5, 0.006209665325776132],
      [5, 2.866515718791933e-7],
      [10, 7.61985302416047e-24],
      [20, 2.7536241186061556e-89],
    ] as const;
    for (const [z, expected] of reference) {
      assertClose(normalSf(z), expected, 1e-13);
      assertClose(normalCdf(-z), expected, 1e-13);
    }
  });

  it('normalQuantile matches scipy.stats.norm.ppf', () => {
    // scipy 1.10.1: norm.ppf(p)
    const reference = [
      [1e-300, -37.0470962993612],
      [1e-20, -9.262340089798409],
      [1e-8, -5.612001244174789],
      [0.001, -3.090232306167813],
      [0.025, -1.9599639845400545],
      [0.05, -1.6448536269514729],
      [0.3, -0.5244005127080409],
      [0.7, 0.5244005127080407],
      [0.95, 1.6448536269514722],
      [0.975, 1.959963984540054],
      [0.999, 3.090232306167813],
    ] as const;
    for (const [p, expected] of reference) assertClose(normalQuantile(p), expected, 1e-13);
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), -Infinity);
    assert.throws(() => normalQuantile(1.1), RangeError);
  });
});

describe('exact Mann-Whitney distribution', () => {
  // R 4.2.2: pwilcox(k, m, n), pwilcox(k - 1, m, n, lower.tail = FALSE), qwilcox(0.025, m, n)
  const reference: [m: number, n: number, k: number, cdf: number, sf: number, q025: number][] = [
    [3, 4, 2, 0.11428571428571428, 0.94285714285714284, 0],
    [5, 5, 7, 0.15476190476190477, 0.88888888888888884, 3],
    [8, 12, 20, 0.015710089703897756, 0.98737794713026905, 23],
    [10, 10, 23, 0.021628526272489117, 0.98226850548831979, 24],
    [20, 30, 200, 0.024064731658852433, 0.97706647574119976, 201],
    [49, 49, 900, 0.016308863525874184, 0.98398289100998892, 925],
    [8, 3000, 10000, 0.21102612059146889, 0.78909085813752899, 7218],
    [1, 7, 3, 0.5, 0.625, 0],
    [6, 1, 2, 0.42857142857142855, 0.7142857142857143, 0],
  ];
  for (const [m, n, k, cdf, sf, q025] of reference) {
    it(`m=${m}, n=${n}: P(U <= ${k}), P(U >= ${k}) and the 2.5% quantile match R`, () => {
      assertClose(mwuCdf(k, m, n), cdf, 1e-11);
      assertClose(mwuSf(k, m, n), sf, 1e-11);
      assert.equal(mwuQuantile(0.025, m, n), q025);
    });
  }

  it('is a distribution: symmetric, and summing to one', () => {
    // Symmetry about mn/2: P(U <= k) = P(U >= mn - k).
    for (let k = 0; k <= 40; k++) assertClose(mwuCdf(k, 5, 8), mwuSf(40 - k, 5, 8), 1e-13);
    assert.equal(mwuCdf(25, 5, 5), 1);
    assert.equal(mwuCdf(-1, 5, 5), 0);
    assertClose(mwuCdf(7, 4, 6) + mwuSf(8, 4, 6), 1, 1e-14);
  });
});

describe('binomial distribution', () => {
  // scipy 1.10.1: binom.pmf(k, n, p), binom.cdf(k, n, p), binom.sf(k, n, p) (= P(X >= k + 1))
  it('matches SciPy in the body and the tails', () => {
    const reference: [k: number, n: number, p: number, pmf: number, cdf: number, sf: number][] = [
      [3, 10, 0.5, 0.1171875, 0.171875, 0.828125],
      [2, 1000, 0.01, 0.0022001875402126022, 0.00267943199379151, 0.9973205680062085],
      [500, 100000, 0.004, 1.6035170916532078e-7, 0.9999993901586789, 6.098413211047854e-7],
    ];
    for (const [k, n, p, pmf, cdf, sf] of reference) {
      assertClose(binomialPmf(k, n, p), pmf, 1e-12);
      assertClose(binomialCdf(k, n, p), cdf, 1e-12);
      assertClose(binomialUpperTail(k + 1, n, p), sf, 1e-10);
    }
  });

  it('handles p = 0 and p = 1', () => {
    assert.equal(binomialPmf(0, 5, 0), 1);
    assert.equal(binomialCdf(2, 5, 1), 0);
    assert.equal(binomialUpperTail(5, 5, 1), 1);
    assert.equal(binomialUpperTail(1, 5, 0), 0);
  });
});
