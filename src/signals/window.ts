import { HdrLatencyHistogram } from './histogram.js';
import type { CohortInterval, CohortName, IntervalPoint, LatencyHistogram, WindowSignals } from './types.js';

/** The load generator's default bound on its own lag; beyond it its numbers are not trusted. */
export const DEFAULT_MAX_LAG_MS = 10;

export interface SummarizeOptions {
  /** Lag bound (ms) of the generator that produced the intervals. */
  maxLagMs?: number;
}

/**
 * The golden signals of one cohort over one phase window, from the intervals collected in it. Latency
 * percentiles come from the merged histograms (never averages of per-interval percentiles); the
 * inputs are left intact. `start`/`end` are epoch ms; traffic rate is requests per window second.
 */
export function summarizeWindow(
  cohort: CohortName,
  intervals: readonly CohortInterval[],
  start: number,
  end: number,
  opts: SummarizeOptions = {},
): WindowSignals {
  const ok = mergeHistograms(intervals.map((i) => i.latencyOk));
  const failed = mergeHistograms(intervals.map((i) => i.latencyFailed));
  let requests = 0;
  let errors = 0;
  for (const i of intervals) {
    requests += i.requests;
    errors += i.errors;
  }
  const seconds = Math.max(0, end - start) / 1000;
  const out: WindowSignals = {
    cohort,
    start,
    end,
    latency: ok.summary(),
    latencyFailed: failed.summary(),
    traffic: { count: requests, rate: seconds > 0 ? requests / seconds : 0 },
    errors: { count: errors, rate: requests > 0 ? errors / requests : 0 },
    intervals: intervals.map(pointOf),
  };
  ok.destroy();
  failed.destroy();
  const saturation = saturationOf(intervals);
  if (saturation) out.saturation = saturation;
  const generator = generatorOf(intervals, opts.maxLagMs ?? DEFAULT_MAX_LAG_MS);
  if (generator) out.generator = generator;
  return out;
}

/** One interval covering both inputs (counts summed, histograms merged into new ones, worst lag). */
export function mergeIntervals(a: CohortInterval, b: CohortInterval): CohortInterval {
  const out: CohortInterval = {
    start: Math.min(a.start, b.start),
    end: Math.max(a.end, b.end),
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    latencyOk: mergeHistograms([a.latencyOk, b.latencyOk]),
    latencyFailed: mergeHistograms([a.latencyFailed, b.latencyFailed]),
  };
  const bytes = sumDefined(a.bytes, b.bytes);
  if (bytes !== undefined) out.bytes = bytes;
  const saturation = maxDefined(a.saturation, b.saturation);
  if (saturation !== undefined) out.saturation = saturation;
  const late = sumDefined(a.lateSends, b.lateSends);
  if (late !== undefined) out.lateSends = late;
  const dropped = sumDefined(a.droppedSends, b.droppedSends);
  if (dropped !== undefined) out.droppedSends = dropped;
  const lag = maxDefined(a.generatorLagMs, b.generatorLagMs);
  if (lag !== undefined) out.generatorLagMs = lag;
  return out;
}

/** A new histogram holding the counts of all inputs; the inputs are not changed. */
export function mergeHistograms(histograms: readonly LatencyHistogram[]): HdrLatencyHistogram {
  const out = new HdrLatencyHistogram();
  for (const h of histograms) if (h.count > 0) out.add(h);
  return out;
}

/** The point an interval contributes to a window (its p50/p99 for the rank tests). */
export function pointOf(i: CohortInterval): IntervalPoint {
  const point: IntervalPoint = {
    at: i.end,
    requests: i.requests,
    errors: i.errors,
    // 0 when the interval holds no successful request; rank tests should skip points with no latency.
    p50: i.latencyOk.percentile(50),
    p99: i.latencyOk.percentile(99),
  };
  if (i.saturation !== undefined) point.saturation = i.saturation;
  return point;
}

function saturationOf(intervals: readonly CohortInterval[]): { max: number; mean: number } | undefined {
  const values = intervals.map((i) => i.saturation).filter((s): s is number => typeof s === 'number' && Number.isFinite(s));
  if (values.length === 0) return undefined;
  return { max: Math.max(...values), mean: values.reduce((s, v) => s + v, 0) / values.length };
}

function generatorOf(intervals: readonly CohortInterval[], maxLagMs: number): WindowSignals['generator'] {
  const fromGenerator = intervals.filter((i) => i.lateSends !== undefined || i.droppedSends !== undefined || i.generatorLagMs !== undefined);
  if (fromGenerator.length === 0) return undefined;
  let lateSends = 0;
  let droppedSends = 0;
  let maxLag = 0;
  let sends = 0;
  for (const i of fromGenerator) {
    lateSends += i.lateSends ?? 0;
    droppedSends += i.droppedSends ?? 0;
    maxLag = Math.max(maxLag, i.generatorLagMs ?? 0);
    sends += i.requests;
  }
  const trustworthy = maxLag <= maxLagMs;
  const notes: string[] = [];
  if (!trustworthy) {
    notes.push(
      `the load generator lagged up to ${round(maxLag)} ms (bound ${round(maxLagMs)} ms): it was itself overloaded, so its latencies include its own delay and its rate may be short`,
    );
  }
  if (lateSends > 0) notes.push(`${lateSends} of ${sends} sent requests left more than ${round(maxLagMs)} ms after their scheduled time`);
  if (droppedSends > 0) notes.push(`${droppedSends} sends were dropped because the in-flight limit was reached (the target stopped answering in time)`);
  return { lateSends, droppedSends, maxLagMs: round(maxLag), trustworthy, ...(notes.length ? { note: `${notes.join('; ')}.` } : {}) };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function sumDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
