import { strict as assert } from 'node:assert';
import { HdrLatencyHistogram } from '../../src/signals/histogram.js';
import type { CohortInterval } from '../../src/signals/types.js';
import { mergeHistograms, mergeIntervals, summarizeWindow } from '../../src/signals/window.js';

interface Spec {
  ok?: number[];
  failed?: number[];
  requests?: number;
  errors?: number;
  saturation?: number;
  lateSends?: number;
  droppedSends?: number;
  generatorLagMs?: number;
  bytes?: number;
}

function interval(start: number, end: number, s: Spec): CohortInterval {
  const latencyOk = new HdrLatencyHistogram();
  const latencyFailed = new HdrLatencyHistogram();
  for (const v of s.ok ?? []) latencyOk.record(v);
  for (const v of s.failed ?? []) latencyFailed.record(v);
  const out: CohortInterval = {
    start,
    end,
    requests: s.requests ?? (s.ok?.length ?? 0) + (s.failed?.length ?? 0),
    errors: s.errors ?? s.failed?.length ?? 0,
    latencyOk,
    latencyFailed,
  };
  for (const k of ['saturation', 'lateSends', 'droppedSends', 'generatorLagMs', 'bytes'] as const) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

interface Case {
  name: string;
  specs: Spec[];
  windowMs: number;
  maxLagMs?: number;
  expect: {
    count: number;
    rate: number;
    errorRate: number;
    p50?: number;
    p99?: number;
    failedCount?: number;
    saturation?: { max: number; mean: number };
    generator?: { scheduledSends: number; lateSends: number; droppedSends: number; maxLagMs: number; untrustedIntervals: number; intervals: number; trustworthy: boolean; note?: RegExp };
    points?: { requests: number; errors: number; p50: number }[];
  };
}

const cases: Case[] = [
  {
    name: 'an empty window',
    specs: [],
    windowMs: 10_000,
    expect: { count: 0, rate: 0, errorRate: 0, p50: 0, p99: 0, points: [] },
  },
  {
    name: 'percentiles from the merged histograms, not averaged per interval',
    // Interval 1 is all 10 ms, interval 2 all 1000 ms but with 9x fewer samples.
    specs: [{ ok: Array(90).fill(10) }, { ok: Array(10).fill(1000) }],
    windowMs: 10_000,
    expect: {
      count: 100,
      rate: 10,
      errorRate: 0,
      p50: 10,
      p99: 1000,
      points: [
        { requests: 90, errors: 0, p50: 10 },
        { requests: 10, errors: 0, p50: 1000 },
      ],
    },
  },
  {
    name: 'error rate is errors over requests, failures kept apart',
    specs: [{ ok: range(1, 95), failed: [500, 600, 700, 800, 900] }],
    windowMs: 5_000,
    expect: { count: 100, rate: 20, errorRate: 0.05, p50: 48, failedCount: 5 },
  },
  {
    name: 'saturation max and mean; requests without latency still count as traffic',
    specs: [
      { requests: 40, errors: 4, saturation: 0.2 },
      { requests: 60, errors: 0, saturation: 0.6 },
      { requests: 0, errors: 0 },
    ],
    windowMs: 20_000,
    expect: { count: 100, rate: 5, errorRate: 0.04, saturation: { max: 0.6, mean: 0.4 } },
  },
  {
    name: 'a generator within its lag bound is trustworthy',
    specs: [
      { ok: [5, 5, 5], lateSends: 0, droppedSends: 0, generatorLagMs: 2 },
      { ok: [5], lateSends: 0, droppedSends: 0, generatorLagMs: 4 },
    ],
    windowMs: 2_000,
    expect: { count: 4, rate: 2, errorRate: 0, generator: { scheduledSends: 4, lateSends: 0, droppedSends: 0, maxLagMs: 4, untrustedIntervals: 0, intervals: 2, trustworthy: true } },
  },
  {
    name: 'a generator past its lag bound is not trustworthy, with a note',
    specs: [
      { ok: [5, 5], lateSends: 3, droppedSends: 0, generatorLagMs: 45 },
      { ok: [5], lateSends: 1, droppedSends: 7, generatorLagMs: 3 },
    ],
    windowMs: 1_000,
    maxLagMs: 10,
    expect: {
      count: 3,
      rate: 3,
      errorRate: 0,
      // Due sends when the generator does not report them: completed plus dropped (2 + 8).
      generator: {
        scheduledSends: 10, lateSends: 4, droppedSends: 7, maxLagMs: 45, untrustedIntervals: 2, intervals: 2, trustworthy: false,
        note: /fell behind its schedule in 2 of 2 intervals.*carrying 100% of the due sends.*worst lag was 45 ms.*4 of 10 due sends left more than 10 ms late.*7 due sends were never made/,
      },
    },
  },
  {
    name: 'the lag bound is configurable',
    specs: [{ ok: [5], generatorLagMs: 45 }],
    windowMs: 1_000,
    maxLagMs: 50,
    expect: { count: 1, rate: 1, errorRate: 0, generator: { scheduledSends: 1, lateSends: 0, droppedSends: 0, maxLagMs: 45, untrustedIntervals: 0, intervals: 1, trustworthy: true } },
  },
];

describe('window aggregation', () => {
  for (const c of cases) {
    it(c.name, () => {
      const t0 = 1_700_000_000_000;
      const step = c.specs.length ? c.windowMs / c.specs.length : c.windowMs;
      const intervals = c.specs.map((s, i) => interval(t0 + i * step, t0 + (i + 1) * step, s));
      const countsBefore = intervals.map((i) => [i.latencyOk.count, i.latencyFailed.count]);
      const w = summarizeWindow('canary', intervals, t0, t0 + c.windowMs, c.maxLagMs === undefined ? {} : { maxLagMs: c.maxLagMs });
      assert.equal(w.cohort, 'canary');
      assert.equal(w.start, t0);
      assert.equal(w.end, t0 + c.windowMs);
      assert.equal(w.traffic.count, c.expect.count);
      assert.ok(Math.abs(w.traffic.rate - c.expect.rate) < 1e-9, `rate ${w.traffic.rate}`);
      assert.equal(w.errors.count, Math.round(c.expect.errorRate * c.expect.count));
      assert.ok(Math.abs(w.errors.rate - c.expect.errorRate) < 1e-9, `error rate ${w.errors.rate}`);
      if (c.expect.p50 !== undefined) assert.ok(Math.abs(w.latency.p50 - c.expect.p50) <= c.expect.p50 * 0.01, `p50 ${w.latency.p50}`);
      if (c.expect.p99 !== undefined) assert.ok(Math.abs(w.latency.p99 - c.expect.p99) <= c.expect.p99 * 0.01, `p99 ${w.latency.p99}`);
      if (c.expect.failedCount !== undefined) assert.equal(w.latencyFailed.count, c.expect.failedCount);
      assert.deepEqual(w.saturation, c.expect.saturation);
      if (c.expect.generator) {
        const { note, ...rest } = c.expect.generator;
        const { note: gotNote, ...gotRest } = w.generator!;
        assert.deepEqual(gotRest, rest);
        if (note) assert.match(gotNote ?? '', note);
      } else {
        assert.equal(w.generator, undefined);
      }
      assert.equal(w.intervals.length, intervals.length);
      w.intervals.forEach((p, i) => assert.equal(p.at, intervals[i]!.end));
      if (c.expect.points) {
        assert.deepEqual(
          w.intervals.map((p) => ({ requests: p.requests, errors: p.errors, p50: Math.round(p.p50) })),
          c.expect.points,
        );
      }
      // The inputs are left as they were: the engine may summarize the same intervals again.
      assert.deepEqual(intervals.map((i) => [i.latencyOk.count, i.latencyFailed.count]), countsBefore);
      assert.doesNotThrow(() => JSON.stringify(w));
    });
  }

  it('merges two intervals into a new one without touching either', () => {
    const a = interval(1000, 2000, { ok: [10, 20], failed: [300], saturation: 0.3, lateSends: 1, generatorLagMs: 4, bytes: 100 });
    const b = interval(2000, 3000, { ok: [30], droppedSends: 2, generatorLagMs: 9, saturation: 0.7 });
    const m = mergeIntervals(a, b);
    assert.equal(m.start, 1000);
    assert.equal(m.end, 3000);
    assert.equal(m.requests, 4);
    assert.equal(m.errors, 1);
    assert.equal(m.latencyOk.count, 3);
    assert.equal(m.latencyFailed.count, 1);
    assert.equal(m.saturation, 0.7);
    assert.equal(m.lateSends, 1);
    assert.equal(m.droppedSends, 2);
    assert.equal(m.generatorLagMs, 9);
    assert.equal(m.bytes, 100);
    assert.equal(a.latencyOk.count, 2);
    assert.equal(b.latencyOk.count, 1);
    m.latencyOk.record(1);
    assert.equal(a.latencyOk.count, 2, 'the merged histogram is a new one');
    const plain = mergeIntervals(interval(0, 1, {}), interval(1, 2, {}));
    assert.equal('saturation' in plain || 'lateSends' in plain || 'generatorLagMs' in plain, false);
  });

  it('merges histograms into a new one', () => {
    const a = new HdrLatencyHistogram();
    const b = new HdrLatencyHistogram();
    a.record(1);
    b.record(2);
    b.record(3);
    const m = mergeHistograms([a, b]);
    assert.equal(m.count, 3);
    assert.equal(a.count, 1);
    assert.equal(b.count, 2);
  });
});
