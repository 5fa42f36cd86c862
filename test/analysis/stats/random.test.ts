import { strict as assert } from 'node:assert';
import { createRandom, mulberry32 } from '../../../src/analysis/stats/index.js';

describe('seeded random source', () => {
  it('repeats exactly for a seed and differs between seeds', () => {
    const a = mulberry32(12345);
    const b = mulberry32(12345);
    const c = mulberry32(54321);
    const first = Array.from({ length: 5 }, () => a());
    assert.deepEqual(first, Array.from({ length: 5 }, () => b()));
    assert.notDeepEqual(first, Array.from({ length: 5 }, () => c()));
    for (const v of first) assert.ok(v >= 0 && v < 1);
  });

  it('draws from the distributions it names (moments over 50,000 draws)', () => {
    const rnd = createRandom(9);
    const n = 50_000;
    const mean = (f: () => number): number => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += f();
      return sum / n;
    };
    assert.ok(Math.abs(mean(rnd.next) - 0.5) < 0.01);
    assert.ok(Math.abs(mean(rnd.normal)) < 0.02);
    assert.ok(Math.abs(mean(() => rnd.normal() ** 2) - 1) < 0.03);
    assert.ok(Math.abs(mean(() => rnd.binomial(20, 0.1)) - 2) < 0.05);
    assert.ok(Math.abs(mean(() => rnd.binomial(200, 0.4)) - 80) < 0.3);
    assert.ok(Math.abs(mean(() => rnd.binomial(10, 0.9)) - 9) < 0.05);
    assert.ok(Math.abs(mean(() => rnd.poisson(3)) - 3) < 0.05);
    assert.ok(Math.abs(mean(() => rnd.poisson(75)) - 75) < 0.3);
    assert.ok(Math.abs(mean(() => Math.log(rnd.logNormal(2, 0.5))) - 2) < 0.02);
    const ints = new Set(Array.from({ length: 1000 }, () => rnd.int(6)));
    assert.deepEqual([...ints].sort(), [0, 1, 2, 3, 4, 5]);
  });
});
