import { strict as assert } from 'node:assert';
import { mannWhitney, type MannWhitneyOptions } from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

// Samples shared with the reference script (SciPy 1.10.1, scipy.stats.mannwhitneyu).
const samples = {
  // SciPy's own docstring example.
  males: [19, 22, 16, 29, 24],
  females: [20, 11, 17, 12],
  a7: [3.1, 4.7, 2.2, 5.9, 6.3, 4.1, 7.7],
  b9: [1.2, 2.9, 3.3, 0.8, 4.4, 2.5, 1.9, 3.8, 0.4],
  tiesX: [3, 5, 5, 6, 7, 7, 7, 8, 9, 9, 10, 12],
  tiesY: [1, 2, 3, 3, 4, 5, 5, 6, 7, 8],
  n15: [12.1, 14.3, 9.8, 15.2, 11.7, 13.9, 16.4, 10.5, 12.8, 14.9, 13.3, 17.1, 11.2, 15.8, 12.4],
  n14: [10.2, 11.9, 9.1, 12.6, 8.7, 10.8, 13.4, 9.6, 11.3, 12.2, 10.1, 8.9, 11.6, 9.9],
};

type Row = [x: keyof typeof samples, y: keyof typeof samples, opts: MannWhitneyOptions, u: number, p: number, method: 'exact' | 'normal'];

// scipy 1.10.1: mannwhitneyu(x, y, alternative=..., method=..., use_continuity=...) -> statistic (U of x), pvalue
const reference: Row[] = [
  // males/females: n2 = 4 <= 8 and no ties, so 'auto' is exact.
  ['males', 'females', { alternative: 'two-sided' }, 17, 0.1111111111111111, 'exact'],
  ['males', 'females', { alternative: 'greater' }, 17, 0.05555555555555555, 'exact'],
  ['males', 'females', { alternative: 'less' }, 17, 0.9682539682539684, 'exact'],
  ['males', 'females', { alternative: 'two-sided', method: 'asymptotic' }, 17, 0.11134688653314041, 'normal'],
  ['males', 'females', { alternative: 'two-sided', method: 'asymptotic', continuity: false }, 17, 0.0864107329737, 'normal'],
  ['males', 'females', { alternative: 'greater', method: 'asymptotic' }, 17, 0.055673443266570206, 'normal'],
  ['males', 'females', { alternative: 'greater', method: 'asymptotic', continuity: false }, 17, 0.04320536648685, 'normal'],
  ['males', 'females', { alternative: 'less', method: 'asymptotic' }, 17, 0.9669037101389033, 'normal'],
  ['males', 'females', { alternative: 'less', method: 'asymptotic', continuity: false }, 17, 0.95679463351315, 'normal'],
  // 7 x 9 without ties: exact under 'auto'.
  ['a7', 'b9', { alternative: 'two-sided' }, 54, 0.016433566433566436, 'exact'],
  ['a7', 'b9', { alternative: 'greater' }, 54, 0.008216783216783218, 'exact'],
  ['a7', 'b9', { alternative: 'less' }, 54, 0.9942307692307694, 'exact'],
  ['a7', 'b9', { alternative: 'two-sided', method: 'asymptotic' }, 54, 0.019873535690821748, 'normal'],
  ['a7', 'b9', { alternative: 'greater', method: 'asymptotic', continuity: false }, 54, 0.008617575066399154, 'normal'],
  ['a7', 'b9', { alternative: 'less', method: 'asymptotic' }, 54, 0.9925454204418475, 'normal'],
  // Ties: the tie-corrected normal approximation, whatever the sizes.
  ['tiesX', 'tiesY', { alternative: 'two-sided' }, 97.5, 0.013951078403622301, 'normal'],
  ['tiesX', 'tiesY', { alternative: 'two-sided', continuity: false }, 97.5, 0.012711768553555262, 'normal'],
  ['tiesX', 'tiesY', { alternative: 'greater' }, 97.5, 0.0069755392018111505, 'normal'],
  ['tiesX', 'tiesY', { alternative: 'greater', continuity: false }, 97.5, 0.006355884276777631, 'normal'],
  ['tiesX', 'tiesY', { alternative: 'less' }, 97.5, 0.9942145434822248, 'normal'],
  ['tiesX', 'tiesY', { alternative: 'less', continuity: false }, 97.5, 0.9936441157232224, 'normal'],
  // 15 x 14: both samples above 8, so 'auto' is the normal approximation; 'exact' on request.
  ['n15', 'n14', { alternative: 'two-sided' }, 176, 0.002091849289008437, 'normal'],
  ['n15', 'n14', { alternative: 'greater' }, 176, 0.0010459246445042186, 'normal'],
  ['n15', 'n14', { alternative: 'less' }, 176, 0.9990973270294986, 'normal'],
  ['n15', 'n14', { alternative: 'two-sided', continuity: false }, 176, 0.0019437563806569609, 'normal'],
  ['n15', 'n14', { alternative: 'two-sided', method: 'exact' }, 176, 0.0013383143309666117, 'exact'],
  ['n15', 'n14', { alternative: 'greater', method: 'exact' }, 176, 0.0006691571654833059, 'exact'],
  ['n15', 'n14', { alternative: 'less', method: 'exact' }, 176, 0.9994425387925227, 'exact'],
];

describe('mannWhitney', () => {
  for (const [xName, yName, opts, u, p, method] of reference) {
    it(`${xName} vs ${yName} ${JSON.stringify(opts)} matches SciPy: U=${u}, p=${p}`, () => {
      const r = mannWhitney(samples[xName], samples[yName], opts);
      assert.equal(r.u, u);
      assert.equal(r.method, method);
      assertClose(r.pValue, p, 1e-12);
      assert.equal(r.n1, samples[xName].length);
      assert.equal(r.n2, samples[yName].length);
    });
  }

  it('U of y is n1·n2 minus U of x, and swapping samples swaps greater and less', () => {
    const xy = mannWhitney(samples.a7, samples.b9, { alternative: 'greater' });
    const yx = mannWhitney(samples.b9, samples.a7, { alternative: 'less' });
    assert.equal(yx.u, 7 * 9 - xy.u);
    assertClose(yx.pValue, xy.pValue, 1e-14);
  });

  it('reports a signed, continuity-corrected z (R convention)', () => {
    // Ties 12 x 10: U = 97.5, mean 60; tie groups 3 (x3), 5 (x4), 6 (x2), 7 (x4), 8 (x2), 9 (x2): Σ(t³ - t) = 162.
    const r = mannWhitney(samples.tiesX, samples.tiesY);
    const sigma = Math.sqrt(((12 * 10) / 12) * (23 - 162 / (22 * 21)));
    assertClose(r.z, (97.5 - 60 - 0.5) / sigma, 1e-12);
    assert.ok(mannWhitney(samples.tiesY, samples.tiesX).z < 0);
  });

  it('falls back to the normal approximation when exact is asked for tied data (as R does)', () => {
    const r = mannWhitney(samples.tiesX, samples.tiesY, { method: 'exact' });
    assert.equal(r.method, 'normal');
    assertClose(r.pValue, 0.013951078403622301, 1e-12);
  });

  it('gives p = 1 when every value is tied (SciPy: 1 with continuity correction, NaN without)', () => {
    for (const continuity of [true, false]) {
      const r = mannWhitney([5, 5, 5], [5, 5, 5, 5], { continuity });
      assert.equal(r.u, 6);
      assert.equal(r.pValue, 1);
      assert.equal(r.z, 0);
    }
  });

  it('keeps the exact path cheap for one tiny sample against a large one', () => {
    const big = Array.from({ length: 5000 }, (_, i) => i + 0.5);
    const started = performance.now();
    const r = mannWhitney([1250, 2500, 3750], big, { alternative: 'greater' });
    assert.equal(r.method, 'exact');
    assert.ok(performance.now() - started < 2000);
    // U = 1250 + 2500 + 3750 = n1·n2 / 2: right in the middle, so P(U >= u) is just over one half.
    assert.equal(r.u, 7500);
    assert.ok(r.pValue > 0.5 && r.pValue < 0.6, `p = ${r.pValue}`);
    const low = mannWhitney([1, 2, 3], big, { alternative: 'greater' });
    assert.ok(low.pValue > 0.999);
  });

  it('rejects empty samples, non-finite values and unknown alternatives', () => {
    assert.throws(() => mannWhitney([], [1]), RangeError);
    assert.throws(() => mannWhitney([1, NaN], [1]), RangeError);
    assert.throws(() => mannWhitney([1], [Infinity]), RangeError);
    assert.throws(() => mannWhitney([1], [2], { alternative: 'bigger' as never }), RangeError);
  });
});
