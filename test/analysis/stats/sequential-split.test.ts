import { strict as assert } from 'node:assert';
import {
  createSequentialErrorTest,
  createSequentialLatencyTest,
  createSequentialSplitTest,
  DEFAULT_RATE_RATIOS,
} from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

describe('sequential split test', () => {
  it('is the likelihood ratio for a single rate ratio: (0.75 / 0.5)^k against 1/alpha', () => {
    // theta = 3 at share 0.5: canary's share of events under the alternative is 3/4.
    const test = createSequentialSplitTest({ alpha: 0.1, expectedCanaryShare: 0.5, minEvents: 0, rateRatios: [3] });
    const five = test.update({ canary: 5, control: 0 });
    assertClose(five.statistic, 1.5 ** 5, 1e-12);
    assert.equal(five.threshold, 10);
    assert.equal(five.reject, false);
    const six = test.update({ canary: 6, control: 0 });
    assertClose(six.statistic, 1.5 ** 6, 1e-12);
    assert.equal(six.reject, true);
    assert.equal(six.looks, 2);
  });

  it('mixes the grid with equal weights', () => {
    // theta 2 -> share 2/3, theta 4 -> 4/5; 3 canary and 1 control event at share 1/2.
    const test = createSequentialSplitTest({ alpha: 0.05, minEvents: 0, rateRatios: [2, 4] });
    const look = test.update({ canary: 3, control: 1 });
    const lr2 = (4 / 3) ** 3 * (2 / 3);
    const lr4 = 1.6 ** 3 * 0.4;
    assertClose(look.statistic, (lr2 + lr4) / 2, 1e-12);
    assertClose(look.logStatistic, Math.log((lr2 + lr4) / 2), 1e-12);
  });

  it('uses the traffic that arrived since the last look as the null share', () => {
    const byTraffic = createSequentialSplitTest({ alpha: 0.05, minEvents: 0, rateRatios: [2] });
    const byShare = createSequentialSplitTest({ alpha: 0.05, minEvents: 0, rateRatios: [2] });
    byTraffic.update({ canary: 2, control: 3, canaryTraffic: 100, controlTraffic: 300 });
    byShare.update({ canary: 2, control: 3, canaryShare: 0.25 });
    const a = byTraffic.update({ canary: 6, control: 5, canaryTraffic: 400, controlTraffic: 500 });
    const b = byShare.update({ canary: 6, control: 5, canaryShare: 0.6 });
    assertClose(a.statistic, b.statistic, 1e-12);
    // A tick without traffic falls back to the expected share rather than dividing by zero.
    const c = byTraffic.update({ canary: 7, control: 5, canaryTraffic: 400, controlTraffic: 500 });
    assert.ok(Number.isFinite(c.statistic));
  });

  it('stays rejected once it has rejected', () => {
    const test = createSequentialSplitTest({ alpha: 0.05, minEvents: 0 });
    assert.equal(test.update({ canary: 30, control: 0 }).reject, true);
    const later = test.update({ canary: 30, control: 500 });
    assert.equal(later.reject, true);
    assert.ok(later.statistic < later.threshold);
  });

  it('does not reject before minEvents', () => {
    const test = createSequentialSplitTest({ alpha: 0.05, minEvents: 20, rateRatios: [10] });
    const early = test.update({ canary: 12, control: 0 });
    assert.ok(early.statistic > early.threshold);
    assert.equal(early.reject, false);
    assert.equal(test.update({ canary: 20, control: 0 }).reject, true);
  });

  it('refuses counts that are not cumulative, and bad options', () => {
    const test = createSequentialSplitTest({ alpha: 0.05, minEvents: 0 });
    test.update({ canary: 3, control: 3 });
    assert.throws(() => test.update({ canary: 2, control: 3 }), RangeError);
    assert.throws(() => test.update({ canary: 3.5, control: 3 }), RangeError);
    assert.throws(() => test.update({ canary: 3, control: 3, canaryShare: 1 }), RangeError);
    assert.throws(() => createSequentialSplitTest({ alpha: 0, minEvents: 0 }), RangeError);
    assert.throws(() => createSequentialSplitTest({ alpha: 0.05, minEvents: 0, rateRatios: [1] }), RangeError);
    assert.throws(() => createSequentialSplitTest({ alpha: 0.05, minEvents: 0, expectedCanaryShare: 0 }), RangeError);
    assert.deepEqual(test.options.rateRatios, DEFAULT_RATE_RATIOS);
  });

  it('error and latency wrappers name their counts and pass them through', () => {
    const errors = createSequentialErrorTest({ alpha: 0.05, minErrors: 5, rateRatios: [3] });
    const latency = createSequentialLatencyTest({ alpha: 0.05, minSlow: 5, rateRatios: [3] });
    const e = errors.update({ canaryErrors: 4, controlErrors: 1, canaryTraffic: 50, controlTraffic: 50 });
    const l = latency.update({ canarySlow: 4, controlSlow: 1, canaryTraffic: 50, controlTraffic: 50 });
    assertClose(e.statistic, 1.5 ** 4 * 0.5, 1e-12);
    assert.deepEqual(e, l);
    assert.equal(e.canaryEvents, 4);
    assert.equal(e.totalEvents, 5);
  });
});
