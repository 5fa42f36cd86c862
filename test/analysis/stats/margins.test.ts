import { strict as assert } from 'node:assert';
import { compareCohortsShift, createRandom, errorRateMargin, quantileRankBounds } from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

describe('quantileRankBounds', () => {
  // SciPy 1.10: smallest u with binom.cdf(u-1, n, q) >= 1-alpha; largest l with binom.cdf(l-1, n, q) <= alpha.
  const cases: [n: number, q: number, lower: number | undefined, upper: number | undefined][] = [
    [300, 0.99, 294, 300],
    [298, 0.99, 292, undefined],
    [1000, 0.99, 985, 996],
    [100, 0.5, 42, 59],
    [20, 0.9, 16, undefined],
    [10_000, 0.999, 9985, 9996],
    [5, 0.5, 1, 5],
  ];
  for (const [n, q, lower, upper] of cases) {
    it(`n=${n}, q=${q}: ranks ${lower}..${upper} as SciPy's binomial gives`, () => {
      assert.deepEqual(quantileRankBounds(n, q, 0.05), { ...(lower !== undefined ? { lower } : {}), ...(upper !== undefined ? { upper } : {}) });
    });
  }

  it('no values, no bounds; bad arguments are refused', () => {
    assert.deepEqual(quantileRankBounds(0, 0.5, 0.05), {});
    assert.throws(() => quantileRankBounds(10, 1, 0.05), RangeError);
    assert.throws(() => quantileRankBounds(-1, 0.5, 0.05), RangeError);
  });

  it('covers the true quantile at least 95% of the time (simulation)', () => {
    const rnd = createRandom(11);
    let above = 0;
    let below = 0;
    const runs = 2000;
    // Exponential(1): the 0.9 quantile is ln 10.
    const truth = Math.log(10);
    for (let r = 0; r < runs; r++) {
      const x = Array.from({ length: 200 }, () => -Math.log(1 - rnd.next())).sort((a, b) => a - b);
      const b = quantileRankBounds(200, 0.9, 0.05);
      if (x[b.upper! - 1]! < truth) above++;
      if (x[b.lower! - 1]! > truth) below++;
    }
    assert.ok(above / runs <= 0.06 && below / runs <= 0.06, `missed above ${above}, below ${below} of ${runs}`);
  });
});

describe('errorRateMargin', () => {
  const base = { factor: 1.5, allowance: 0.005, alpha: 0.05, minRequests: 8 };

  it('7/1000 vs 3/1000 with a 1.5x margin is inconclusive, not a pass (the interval reaches far past it)', () => {
    const r = errorRateMargin({ ...base, canary: { errors: 7, requests: 1000 }, control: { errors: 3, requests: 1000 } });
    assert.equal(r.decision, 'inconclusive', r.reason);
    // SciPy 1.10 Wilson intervals at 90%, combined by MOVER: d = 0.0025, [-0.0049465, 0.0089530].
    assertClose(r.difference.estimate, 0.0025, 1e-12);
    assertClose(r.difference.lower, -0.004946478730631358, 1e-9);
    assertClose(r.difference.upper, 0.008952999620182336, 1e-9);
    assert.ok(r.ratio[0] < 1 && r.ratio[1] > 10, `ratio interval ${r.ratio}`);
    assert.ok(r.needed! > 1000, `needs more than it had: ${r.needed}`);
  });

  it('0 errors in 10 requests each is inconclusive, and says how many requests would decide', () => {
    const r = errorRateMargin({ ...base, canary: { errors: 0, requests: 10 }, control: { errors: 0, requests: 10 } });
    assert.equal(r.decision, 'inconclusive');
    assertClose(r.difference.upper, 0.21294197008340698, 1e-9);
    // Wilson's upper bound of 0 of n falls to 0.5% at n = z²(1 - a)/a with z = 1.645: 539.
    assert.equal(r.needed, 539);
  });

  it('0 errors in 600 each passes on the allowance (both nearly error-free)', () => {
    const r = errorRateMargin({ ...base, allowance: 0.01, alpha: 0.0125, canary: { errors: 0, requests: 600 }, control: { errors: 0, requests: 600 } });
    assert.equal(r.decision, 'pass', r.reason);
    assertClose(r.difference.upper, 0.00830361627368792, 1e-9);
    assert.match(r.reason, /within the 1% allowance/);
  });

  it('one stray canary error beside a clean control still passes on the allowance with enough requests', () => {
    const r = errorRateMargin({ ...base, canary: { errors: 1, requests: 4000 }, control: { errors: 0, requests: 4000 } });
    assert.equal(r.decision, 'pass', r.reason);
  });

  it('passes on the ratio when both have errors in proportion', () => {
    const r = errorRateMargin({ ...base, allowance: 0, canary: { errors: 100, requests: 10_000 }, control: { errors: 100, requests: 10_000 } });
    assert.equal(r.decision, 'pass', r.reason);
    assert.ok(r.ratio[1] <= 1.5);
  });

  it('fails only when both the ratio and the difference are beyond their margins', () => {
    const r = errorRateMargin({ ...base, canary: { errors: 120, requests: 400 }, control: { errors: 2, requests: 400 } });
    assert.equal(r.decision, 'fail', r.reason);
    assertClose(r.difference.lower, 0.25327936813879465, 1e-9);
    // Many times the control's rate, but within a generous allowance: not a failure.
    const small = errorRateMargin({ ...base, allowance: 0.05, canary: { errors: 8, requests: 1000 }, control: { errors: 0, requests: 1000 } });
    assert.notEqual(small.decision, 'fail', small.reason);
  });

  it('too few requests is inconclusive whatever the counts', () => {
    const r = errorRateMargin({ ...base, minRequests: 50, canary: { errors: 40, requests: 40 }, control: { errors: 0, requests: 40 } });
    assert.equal(r.decision, 'inconclusive');
    assert.match(r.reason, /too few requests/);
  });

  it('refuses a factor below 1 and impossible counts', () => {
    assert.throws(() => errorRateMargin({ ...base, factor: 0.9, canary: { errors: 0, requests: 10 }, control: { errors: 0, requests: 10 } }), RangeError);
    assert.throws(() => errorRateMargin({ ...base, canary: { errors: 11, requests: 10 }, control: { errors: 0, requests: 10 } }), RangeError);
  });
});

describe('compareCohortsShift', () => {
  const rnd = createRandom(5);
  const around = (center: number, n: number) => Array.from({ length: n }, () => center + (rnd.next() - 0.5) * 10);
  const base = { direction: 'lower-is-better', factor: 1, alpha: 0.025, minSamples: 8 } as const;

  it('a fallback that adds about 100 ms passes "control + 150ms" and fails "control + 50ms"', () => {
    const canary = around(105, 12);
    const control = around(5, 12);
    const pass = compareCohortsShift({ ...base, canary, control, allowance: 150 });
    assert.equal(pass.decision, 'pass', pass.reason);
    assert.ok(pass.estimate > 90 && pass.estimate < 110, `estimate ${pass.estimate}`);
    const fail = compareCohortsShift({ ...base, canary, control, allowance: 50 });
    assert.equal(fail.decision, 'fail', fail.reason);
  });

  it('a shift near the allowance is inconclusive; too few values is inconclusive with the count needed', () => {
    const r = compareCohortsShift({ ...base, canary: around(150, 10), control: around(5, 10), allowance: 145 });
    assert.equal(r.decision, 'inconclusive', r.reason);
    const few = compareCohortsShift({ ...base, canary: [100, 101], control: [5, 6], allowance: 150 });
    assert.equal(few.decision, 'inconclusive');
    assert.equal(few.needed, 8);
  });

  it('a factor and an allowance together: canary <= 1.2x control + 20', () => {
    const r = compareCohortsShift({ ...base, factor: 1.2, canary: around(130, 12), control: around(100, 12), allowance: 20 });
    assert.equal(r.decision, 'pass', r.reason);
    const bad = compareCohortsShift({ ...base, factor: 1.2, canary: around(200, 12), control: around(100, 12), allowance: 20 });
    assert.equal(bad.decision, 'fail', bad.reason);
  });

  it('higher is better: canary >= control - 10 (a throughput that may drop by 10)', () => {
    const r = compareCohortsShift({ ...base, direction: 'higher-is-better', canary: around(97, 12), control: around(100, 12), allowance: 10 });
    assert.equal(r.decision, 'pass', r.reason);
    const bad = compareCohortsShift({ ...base, direction: 'higher-is-better', canary: around(60, 12), control: around(100, 12), allowance: 10 });
    assert.equal(bad.decision, 'fail', bad.reason);
  });

  it('refuses a factor that would demand a better canary', () => {
    assert.throws(() => compareCohortsShift({ ...base, factor: 0.9, canary: [1], control: [1], allowance: 0 }), RangeError);
    assert.throws(() => compareCohortsShift({ ...base, direction: 'higher-is-better', factor: 1.1, canary: [1], control: [1], allowance: 0 }), RangeError);
  });
});
