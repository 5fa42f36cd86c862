import { strict as assert } from 'node:assert';
import {
  createRandom,
  hodgesLehmann,
  hodgesLehmannRatio,
  medianPairwiseDifference,
  pairwiseDifferenceOrderStatistics,
} from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

// R's ?wilcox.test example data (Hollander & Wolfe, p. 27 and 69).
const docsX = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const docsY = [1.15, 0.88, 0.9, 0.74, 1.21];
const tiesA = [1, 2, 2, 3, 4, 5, 5, 5, 7, 9, 10];
const tiesB = [0, 1, 1, 2, 3, 3, 4, 6];
// R 4.2.2: set.seed(7); round(rlnorm(30, log(120), 0.3), 2); round(rlnorm(25, log(100), 0.3), 2)
const lx = [
  238.33, 83.8, 97.44, 106.04, 89.68, 90.32, 150.19, 115.86, 125.62, 231.48, 133.56, 271.11, 237.92, 132.25, 211.94, 138.07, 91.78,
  109.43, 119.83, 161.41, 154.38, 148.28, 177.56, 79.13, 175.8, 126.82, 150.38, 143.31, 89.35, 110.46,
];
const ly = [
  77.01, 124.06, 103.38, 97.67, 88.15, 84.48, 134.89, 71.78, 95.82, 109.91, 144.13, 81.08, 91.79, 67.47, 88.93, 88.65, 149.95, 119.41,
  103.06, 132.22, 92.42, 99.77, 111.64, 166.89, 124.25,
];
// R 4.2.2: set.seed(11); round(rnorm(60, 10.5, 2), 3); round(rnorm(55, 10, 2), 3)  (n >= 50: normal approximation)
const gx = [
  9.318, 10.553, 7.467, 7.775, 12.857, 8.632, 13.147, 11.75, 10.409, 8.492, 8.843, 9.803, 7.423, 9.989, 8.2, 10.525, 10.054, 12.276,
  9.316, 9.189, 9.135, 10.468, 9.615, 11.205, 10.646, 10.514, 10.125, 8.969, 10.058, 8.533, 8.291, 8.624, 11.857, 7.345, 8.76, 11.469,
  10.128, 13.591, 9.277, 9.804, 7.227, 10.541, 12.283, 8.755, 12.28, 9.812, 6.126, 12.26, 11.948, 10.94, 12.08, 10.04, 8.863, 11.499,
  10.818, 11.585, 10.187, 11.378, 13.476, 10.62,
];
const gy = [
  8.302, 14.679, 9.758, 6.1, 11.077, 13.387, 8.418, 7.849, 8.784, 11.509, 10.907, 9.753, 8.474, 10.457, 12.239, 10.313, 8.622, 10.906,
  7.865, 10.803, 9.87, 10.631, 8.789, 8.185, 14.523, 8.794, 7.404, 11.013, 8.293, 6.988, 12.405, 7.944, 11.877, 8.914, 11.026, 9.295,
  12.653, 7.72, 12.826, 8.796, 9.117, 10.487, 11.194, 9.76, 5.861, 11.171, 10.979, 7.987, 12.539, 12.248, 11.685, 13.241, 10.895,
  5.402, 9.842,
];

describe('hodgesLehmann', () => {
  // R 4.2.2: wilcox.test(x, y, conf.int = TRUE, conf.level = c) -> estimate, conf.int (exact: n < 50, no ties)
  const exactCases: [number, number, number, number][] = [
    [0.95, 0.305, -0.15, 0.76],
    [0.9, 0.305, -0.08, 0.72],
    [0.99, 0.305, -0.35, 1.01],
  ];
  for (const [confidence, estimate, lower, upper] of exactCases) {
    it(`matches R's exact interval on the ?wilcox.test data at ${confidence}: ${estimate} [${lower}, ${upper}]`, () => {
      const r = hodgesLehmann(docsX, docsY, confidence);
      assert.equal(r.method, 'exact');
      assertClose(r.estimate, estimate, 1e-12);
      assertClose(r.lower, lower, 1e-12);
      assertClose(r.upper, upper, 1e-12);
      assert.ok(r.achievedConfidence >= confidence);
    });
  }

  it('matches R on 30 x 25 values without ties (exact): 28.61 [8.91, 50.61]', () => {
    // R 4.2.2: wilcox.test(lx, ly, conf.int = TRUE) -> 28.610000000000007, [8.910000000000025, 50.609999999999999]
    const r = hodgesLehmann(lx, ly);
    assert.equal(r.method, 'exact');
    assertClose(r.estimate, 28.61, 1e-12);
    assertClose(r.lower, 8.91, 1e-12);
    assertClose(r.upper, 50.61, 1e-12);
  });

  it("matches R's normal-approximation interval with ties (root found to 1e-12)", () => {
    // R 4.2.2: wilcox.test(a, b, conf.int = TRUE, tol.root = 1e-12) -> [-1.68e-13, 4.99999999999956] (0.95), [5.5e-13, 4.00000000000064] (0.9)
    // R's estimate there is the root of the standardized statistic, 2.00000000000018; the median of the differences is 2.
    const r95 = hodgesLehmann(tiesA, tiesB, 0.95);
    assert.equal(r95.method, 'normal');
    assert.deepEqual([r95.estimate, r95.lower, r95.upper], [2, 0, 5]);
    const r90 = hodgesLehmann(tiesA, tiesB, 0.9);
    assert.deepEqual([r90.lower, r90.upper], [0, 4]);
  });

  it("matches R's normal-approximation interval at n >= 50", () => {
    // R 4.2.2: wilcox.test(gx, gy, conf.int = TRUE, tol.root = 1e-12) -> [-0.59400000000013009, 0.86700000000045852]
    //          conf.level = 0.8 -> [-0.38199999999984596, 0.61799999999941369]; median(outer(gx, gy, "-")) = 0.11050000000000004
    const r = hodgesLehmann(gx, gy);
    assert.equal(r.method, 'normal');
    assertClose(r.lower, -0.594, 1e-9);
    assertClose(r.upper, 0.867, 1e-9);
    assertClose(r.estimate, 0.1105, 1e-12);
    const r80 = hodgesLehmann(gx, gy, 0.8);
    assertClose(r80.lower, -0.382, 1e-9);
    assertClose(r80.upper, 0.618, 1e-9);
  });

  it('uses the normal approximation on request (R: exact = FALSE)', () => {
    // R 4.2.2: wilcox.test(x, y, conf.int = TRUE, exact = FALSE, tol.root = 1e-12) -> [-0.150000000000455, 0.759999999999141]
    const r = hodgesLehmann(docsX, docsY, 0.95, { method: 'asymptotic' });
    assert.equal(r.method, 'normal');
    assertClose(r.lower, -0.15, 1e-9);
    assertClose(r.upper, 0.76, 1e-9);
  });

  it('says when the requested confidence cannot be reached (R: "conf.level not achievable", 0.9)', () => {
    // R 4.2.2: wilcox.test(c(1, 2, 3), c(4, 5, 6), conf.int = TRUE) -> -3, [-5, -1], conf.level 0.9
    const r = hodgesLehmann([1, 2, 3], [4, 5, 6], 0.95);
    assert.deepEqual([r.estimate, r.lower, r.upper], [-3, -5, -1]);
    assertClose(r.achievedConfidence, 0.9, 1e-12);
    assert.equal(r.confidence, 0.95);
  });

  it('rejects bad confidence levels and empty samples', () => {
    assert.throws(() => hodgesLehmann([1], [2], 1), RangeError);
    assert.throws(() => hodgesLehmann([1], [2], 0), RangeError);
    assert.throws(() => hodgesLehmann([], [2]), RangeError);
  });
});

describe('hodgesLehmannRatio', () => {
  it('is the shift interval on log values, exponentiated (R on log data)', () => {
    // R 4.2.2: wilcox.test(log(lx), log(ly), conf.int = TRUE, conf.level = 0.9)
    //   -> estimate 0.25781220072440769, [0.11198786553016049, 0.39684452732686015]
    const r = hodgesLehmannRatio(lx, ly, 0.9);
    assert.equal(r.method, 'exact');
    assertClose(r.estimate, Math.exp(0.25781220072440769), 1e-12);
    assertClose(r.lower, Math.exp(0.11198786553016049), 1e-12);
    assertClose(r.upper, Math.exp(0.39684452732686015), 1e-12);
  });

  it('recovers a known multiplicative shift', () => {
    const rnd = createRandom(42);
    const control = Array.from({ length: 200 }, () => rnd.logNormal(Math.log(80), 0.4));
    const canary = Array.from({ length: 200 }, () => 1.5 * rnd.logNormal(Math.log(80), 0.4));
    const r = hodgesLehmannRatio(canary, control);
    assert.ok(r.lower < 1.5 && 1.5 < r.upper, `[${r.lower}, ${r.upper}]`);
    assert.ok(r.lower > 1.2 && r.upper < 1.9);
  });

  it('needs positive values', () => {
    assert.throws(() => hodgesLehmannRatio([1, 0], [2]), /positive/);
    assert.throws(() => hodgesLehmannRatio([1], [-2]), /positive/);
  });
});

describe('pairwise differences', () => {
  it('selects order statistics without materializing them, equal to a full sort', () => {
    // 700 x 600 = 420,000 pairs: above the materialize limit, so the selection path runs.
    const rnd = createRandom(7);
    const x = Array.from({ length: 700 }, () => Math.round(rnd.normal() * 50) / 10);
    const y = Array.from({ length: 600 }, () => Math.round(rnd.normal() * 50) / 10 - 0.3);
    const all = new Float64Array(x.length * y.length);
    let at = 0;
    for (const xi of x) for (const yj of y) all[at++] = xi - yj;
    all.sort();
    const ks = [1, 2, 1000, 123_457, 210_000, 210_001, 350_000, all.length - 1, all.length];
    assert.deepEqual(pairwiseDifferenceOrderStatistics(x, y, ks), ks.map((k) => all[k - 1]));
    assert.equal(medianPairwiseDifference(x, y), (all[209_999]! + all[210_000]!) / 2);
  });

  it('gives the same interval whichever path computes it', () => {
    const rnd = createRandom(8);
    const x = Array.from({ length: 520 }, () => rnd.logNormal(0, 1));
    const y = Array.from({ length: 500 }, () => rnd.logNormal(0.1, 1));
    const r = hodgesLehmann(x, y);
    const all = new Float64Array(x.length * y.length);
    let at = 0;
    for (const xi of x) for (const yj of y) all[at++] = xi - yj;
    all.sort();
    // Normal path without ties: order statistics ceil(mn/2 -+ (0.5 + z·sigma)), z = qnorm(0.975).
    const mn = 520 * 500;
    const zSigma = 1.959963984540054 * Math.sqrt((mn * (520 + 500 + 1)) / 12);
    assert.equal(r.method, 'normal');
    assert.equal(r.lower, all[Math.ceil(mn / 2 - 0.5 - zSigma) - 1]);
    assert.equal(r.upper, all[Math.ceil(mn / 2 + 0.5 + zSigma) - 1]);
    assert.equal(r.estimate, (all[129_999]! + all[130_000]!) / 2);
  });

  it('rejects ranks outside 1..n1·n2', () => {
    assert.throws(() => pairwiseDifferenceOrderStatistics([1, 2], [3], [0]), RangeError);
    assert.throws(() => pairwiseDifferenceOrderStatistics([1, 2], [3], [3]), RangeError);
  });
});
