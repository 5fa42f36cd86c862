import { strict as assert } from 'node:assert';
import { HdrLatencyHistogram } from '../../src/signals/histogram.js';
import { mulberry32 } from '../../src/analysis/stats/random.js';

/** The library's own iterator, for comparison with the histogram's one-pass reads. */
function iterated(h: HdrLatencyHistogram, aboveMs: number): { mean: number; above: number } {
  const raw = h.hdr as unknown as { highestEquivalentValue(v: number): number; recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } } };
  const limit = raw.highestEquivalentValue(Math.min(300_000_000, Math.max(1, Math.round(aboveMs * 1000))));
  const it = raw.recordedValuesIterator;
  it.reset();
  let above = 0;
  while (it.hasNext()) {
    const v = it.next();
    if (v.valueIteratedTo > limit) above += v.countAtValueIteratedTo;
  }
  return { mean: h.hdr.mean / 1000, above };
}

describe('latency histogram: one-pass mean and tail counts', () => {
  it('give exactly what the library\'s iterator gives, on mixed, merged, subtracted and empty histograms', () => {
    const rnd = mulberry32(20261202);
    for (let trial = 0; trial < 40; trial++) {
      const h = new HdrLatencyHistogram();
      const n = Math.floor(rnd() * 3000);
      for (let i = 0; i < n; i++) h.record(rnd() < 0.2 ? 100 + rnd() * 5000 : rnd() * 20);
      if (trial % 3 === 0) {
        const other = new HdrLatencyHistogram();
        for (let i = 0; i < 500; i++) other.record(rnd() * 300_000);
        h.add(other);
        if (trial % 2 === 0) h.subtract(other);
      }
      for (const at of [0, 0.5, 3, 20, 150, 1000, 60_000, 400_000]) {
        const want = iterated(h, at);
        assert.equal(h.countAbove(at), want.above, `trial ${trial}: count above ${at} ms`);
        assert.equal(h.summary().mean, want.mean, `trial ${trial}: mean`);
      }
    }
    assert.equal(new HdrLatencyHistogram().mean(), 0);
    assert.equal(new HdrLatencyHistogram().countAbove(1), 0);
  });
});
