import { strict as assert } from 'node:assert';
import { bonferroni, holm } from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

function assertAllClose(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assertClose(v, expected[i]!, 1e-12));
}

describe('multiple-testing corrections', () => {
  const p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04];
  it('holm matches R p.adjust(p, "holm")', () => {
    // R 4.2.2: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04), "holm") -> 0.05 0.12 0.12 0.03 0.2 0.12
    assertAllClose(holm(p), [0.05, 0.12, 0.12, 0.03, 0.2, 0.12]);
    // R 4.2.2: p.adjust(c(0.5, 0.001, 0.02, 0.02, 0.3), "holm") -> 0.6 0.005 0.08 0.08 0.6
    assertAllClose(holm([0.5, 0.001, 0.02, 0.02, 0.3]), [0.6, 0.005, 0.08, 0.08, 0.6]);
  });

  it('bonferroni matches R p.adjust(p, "bonferroni")', () => {
    // R 4.2.2: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04), "bonferroni") -> 0.06 0.24 0.18 0.03 1 0.24
    assertAllClose(bonferroni(p), [0.06, 0.24, 0.18, 0.03, 1, 0.24]);
  });

  it('never adjusts below the raw p-value and holm is never above bonferroni', () => {
    const h = holm(p);
    const b = bonferroni(p);
    p.forEach((v, i) => {
      assert.ok(h[i]! >= v);
      assert.ok(h[i]! <= b[i]!);
    });
  });

  it('handles no p-values and rejects values outside [0, 1]', () => {
    assert.deepEqual(holm([]), []);
    assert.deepEqual(bonferroni([]), []);
    assert.throws(() => holm([0.1, 1.2]), RangeError);
    assert.throws(() => bonferroni([NaN]), RangeError);
  });
});
