import { strict as assert } from 'node:assert';
import { compareCohorts, createRandom, type CompareCohortsInput } from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

// R 4.2.2: set.seed(7); lx <- round(rlnorm(30, log(120), 0.3), 2); ly <- round(rlnorm(25, log(100), 0.3), 2)
const lx = [
  238.33, 83.8, 97.44, 106.04, 89.68, 90.32, 150.19, 115.86, 125.62, 231.48, 133.56, 271.11, 237.92, 132.25, 211.94, 138.07, 91.78,
  109.43, 119.83, 161.41, 154.38, 148.28, 177.56, 79.13, 175.8, 126.82, 150.38, 143.31, 89.35, 110.46,
];
const ly = [
  77.01, 124.06, 103.38, 97.67, 88.15, 84.48, 134.89, 71.78, 95.82, 109.91, 144.13, 81.08, 91.79, 67.47, 88.93, 88.65, 149.95, 119.41,
  103.06, 132.22, 92.42, 99.77, 111.64, 166.89, 124.25,
];

const base = { direction: 'lower-is-better', alpha: 0.05, minSamples: 10 } as const;

function sample(seed: number, n: number, scale: number, sigma = 0.25): number[] {
  const rnd = createRandom(seed);
  return Array.from({ length: n }, () => scale * rnd.logNormal(Math.log(100), sigma));
}

describe('compareCohorts', () => {
  it('reports the Hodges-Lehmann ratio, its 1 - 2·alpha interval and the one-sided p-value as R computes them', () => {
    // R 4.2.2: r <- wilcox.test(log(lx), log(ly), conf.int = TRUE, conf.level = 0.9); exp(r$estimate), exp(r$conf.int)
    //   -> 1.2940935..., [1.1184993..., 1.4871386...]  (log: 0.25781220072440769, [0.11198786553016049, 0.39684452732686015])
    // R 4.2.2: wilcox.test(log(lx), log(ly), alternative = "greater")$p.value -> 0.0012668558642666009
    const r = compareCohorts({ ...base, canary: lx, control: ly, margin: 1.5 });
    assertClose(r.estimateRatio, Math.exp(0.25781220072440769), 1e-12);
    assertClose(r.interval[0], Math.exp(0.11198786553016049), 1e-12);
    assertClose(r.interval[1], Math.exp(0.39684452732686015), 1e-12);
    assertClose(r.pValue, 0.0012668558642666009, 1e-10);
    assertClose(r.confidence, 0.9, 1e-15);
    assert.equal(r.method, 'exact');
    assert.deepEqual([r.n1, r.n2, r.test], [30, 25, 'mann-whitney-u+hodges-lehmann']);
  });

  // The same data against three margins: interval 1.118..1.487, estimate 1.294, p 0.0013.
  const byMargin: [margin: number, decision: string, why: RegExp][] = [
    [1.05, 'fail', /whole interval is worse/],
    [1.2, 'fail', /significantly worse, and the estimate is beyond/],
    [1.3, 'inconclusive', /straddles/],
    [1.5, 'pass', /within/],
  ];
  for (const [margin, decision, why] of byMargin) {
    it(`margin ${margin}x on the R data -> ${decision}`, () => {
      const r = compareCohorts({ ...base, canary: lx, control: ly, margin });
      assert.equal(r.decision, decision, r.reason);
      assert.match(r.reason, why);
    });
  }

  it('mirrors the rule for higher-is-better signals', () => {
    // R 4.2.2: exp of wilcox.test(log(ly), log(lx), conf.int = TRUE, conf.level = 0.9) -> 0.7727 [0.6724, 0.8941]
    const input: CompareCohortsInput = { ...base, direction: 'higher-is-better', canary: ly, control: lx, margin: 1.2 };
    const r = compareCohorts(input);
    assertClose(r.estimateRatio, 0.77274033855686042, 1e-12);
    assertClose(r.interval[0], 0.67243856332703211, 1e-12);
    assertClose(r.interval[1], 0.89405510631925733, 1e-12);
    assertClose(r.pValue, 0.0012668558642666009, 1e-10);
    assert.equal(r.decision, 'fail');
    assert.equal(compareCohorts({ ...input, margin: 1.05 }).decision, 'fail');
    assert.equal(compareCohorts({ ...input, margin: 1.3 }).decision, 'inconclusive');
    assert.equal(compareCohorts({ ...input, margin: 1.5 }).decision, 'pass');
    // Canary doing better than control on a higher-is-better signal passes.
    assert.equal(compareCohorts({ ...input, canary: lx, control: ly }).decision, 'pass');
  });

  it('fails a canary twice as slow and passes one that is not, on simulated intervals', () => {
    const control = sample(1, 30, 1);
    assert.equal(compareCohorts({ ...base, canary: sample(2, 30, 2), control, margin: 1.2 }).decision, 'fail');
    assert.equal(compareCohorts({ ...base, canary: sample(3, 30, 1), control, margin: 1.2 }).decision, 'pass');
    // Faster canary on a lower-is-better signal: pass.
    assert.equal(compareCohorts({ ...base, canary: sample(4, 30, 0.5), control, margin: 1.2 }).decision, 'pass');
  });

  it('is inconclusive with too few values, and says how many are needed', () => {
    const r = compareCohorts({ ...base, canary: [100, 200, 300], control: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], margin: 1.2 });
    assert.equal(r.decision, 'inconclusive');
    assert.equal(r.needed, 10);
    assert.match(r.reason, /canary has 3, control has 11; need at least 10 per cohort/);
    // Evidence is still reported.
    assert.ok(r.estimateRatio > 10);
  });

  it('is inconclusive when the sizes cannot reach the confidence level, whatever minSamples says', () => {
    // 2 vs 2: the smallest one-sided exact level is 1/C(4,2) = 1/6 > alpha = 0.05; 3 per cohort reach 1/C(6,3) = 0.05.
    const r = compareCohorts({ ...base, minSamples: 2, canary: [300, 310], control: [100, 101], margin: 1.2 });
    assert.equal(r.decision, 'inconclusive');
    assert.equal(r.needed, 3);
    const three = compareCohorts({ ...base, minSamples: 2, canary: [300, 310, 320], control: [100, 101, 102], margin: 1.2 });
    assert.equal(three.decision, 'fail');
    // With alpha = 0.01 three are not enough (1/20 > 0.01) but five are (1/252).
    const strict = compareCohorts({ ...base, alpha: 0.01, minSamples: 2, canary: [300, 310, 320], control: [100, 101, 102], margin: 1.2 });
    assert.equal(strict.decision, 'inconclusive');
    assert.equal(strict.needed, 5);
  });

  it('is inconclusive on an empty cohort', () => {
    const r = compareCohorts({ ...base, canary: [], control: [1, 2, 3], margin: 1.2 });
    assert.equal(r.decision, 'inconclusive');
    assert.ok(Number.isNaN(r.estimateRatio));
  });

  it('raises values to the floor when one is given, and otherwise refuses non-positive values', () => {
    const control = sample(5, 20, 1);
    const zeros = new Array(20).fill(0);
    assert.throws(() => compareCohorts({ ...base, direction: 'higher-is-better', canary: zeros, control, margin: 1.2 }), /positive/);
    const r = compareCohorts({ ...base, direction: 'higher-is-better', canary: zeros, control, margin: 1.2, floor: 0.001 });
    assert.equal(r.decision, 'fail');
    assert.ok(r.interval[1] < 0.001);
  });

  it('rejects bad parameters', () => {
    const ok = { ...base, canary: [1, 2], control: [1, 2], margin: 1.2 };
    assert.throws(() => compareCohorts({ ...ok, margin: 0.9 }), RangeError);
    assert.throws(() => compareCohorts({ ...ok, alpha: 0.5 }), RangeError);
    assert.throws(() => compareCohorts({ ...ok, minSamples: 0 }), RangeError);
    assert.throws(() => compareCohorts({ ...ok, direction: 'sideways' as never }), RangeError);
    assert.throws(() => compareCohorts({ ...ok, canary: [1, NaN] }), RangeError);
  });
});
