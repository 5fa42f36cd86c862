import { strict as assert } from 'node:assert';
import { CohortSeries, RECENT_INTERVALS } from '../../src/engine/series.js';
import { createHistogram } from '../../src/signals/histogram.js';
import { summarizeWindow } from '../../src/signals/window.js';
import type { CohortInterval } from '../../src/signals/types.js';

function interval(i: number, latencies: number[], errors = 0, saturation?: number): CohortInterval {
  const ok = createHistogram();
  for (const l of latencies) ok.record(l);
  const failed = createHistogram();
  for (let e = 0; e < errors; e++) failed.record(1000);
  return { start: i * 1000, end: (i + 1) * 1000, requests: latencies.length + errors, errors, latencyOk: ok, latencyFailed: failed, ...(saturation !== undefined ? { saturation } : {}) };
}

describe('a cohort series in bounded memory', () => {
  it('summarizes like the window of every interval, while keeping only the latest whole', () => {
    const all: CohortInterval[] = [];
    const series = new CohortSeries();
    for (let i = 0; i < 40; i++) {
      const x = interval(i, Array.from({ length: 20 }, (_, k) => 5 + ((i * 7 + k * 13) % 50)), i % 5 === 0 ? 2 : 0, (i % 10) / 10);
      all.push(x);
      series.add(x);
    }
    const expected = summarizeWindow('canary', all, 0, 40_000);
    const got = series.summarize('canary', 0, 40_000)!;
    assert.deepEqual(got.latency, expected.latency);
    assert.deepEqual(got.latencyFailed, expected.latencyFailed);
    assert.deepEqual(got.traffic, expected.traffic);
    assert.deepEqual(got.errors, expected.errors);
    assert.deepEqual(got.saturation, expected.saturation);
    assert.deepEqual(got.intervals, expected.intervals);
    assert.equal(series.recent(100).length, RECENT_INTERVALS);
    assert.equal(series.recent(3)[2], all[39]);
    assert.deepEqual(series.since(37).map((x) => x.index), [37, 38, 39]);
    assert.deepEqual(series.totals(), { requests: expected.traffic.count, errors: expected.errors.count });
  });

  it('an empty series has no summary', () => {
    assert.equal(new CohortSeries().summarize('all', 0, 1), undefined);
  });
});
