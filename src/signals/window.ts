import { HdrLatencyHistogram } from './histogram.js';
import { quantileRankBounds } from '../analysis/stats/quantile-bounds.js';
import type { CohortInterval, CohortName, GeneratorHealth, IntervalPoint, LatencyHistogram, LatencySummary, PercentileName, WindowSignals } from './types.js';

/** The load generator's default bound on its own lag; beyond it its numbers are not trusted. */
export const DEFAULT_MAX_LAG_MS = 10;

/**
 * An interval is untrusted when more than this share of its due sends (and more than two) left late
 * or not at all: its latencies then carry the generator's own delay, or miss the requests it shed.
 */
export const UNTRUSTED_SEND_SHARE = 0.05;

/** A window is untrustworthy when more than this share of its due sends left late or not at all... */
export const UNTRUSTWORTHY_LATE_SHARE = 0.05;

/** ...or more than this share were never sent (dropped: arrivals the open model promised and did not make). */
export const UNTRUSTWORTHY_DROP_SHARE = 0.005;

export interface SummarizeOptions {
  /** Lag bound (ms) of the generator that produced the intervals. */
  maxLagMs?: number;
  /** Upper bound of a successful request's latency (the probe's timeout), kept for bounds over outstanding requests. */
  latencyCeilingMs?: number;
  /** Requests in flight at the window's end; default: what the last interval reported. */
  outstanding?: { count: number; overdue: number };
}

/**
 * The golden signals of one cohort over one phase window, from the intervals collected in it, oldest
 * first. Latency percentiles come from the merged histograms (never averages of per-interval
 * percentiles); the inputs are left intact. `start`/`end` are epoch ms; traffic rate is requests per
 * window second. Requests still in flight at the end are those the last interval reported.
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
  const maxLagMs = opts.maxLagMs ?? DEFAULT_MAX_LAG_MS;
  const out: WindowSignals = {
    cohort,
    start,
    end,
    latency: ok.summary(),
    latencyFailed: failed.summary(),
    traffic: { count: requests, rate: seconds > 0 ? requests / seconds : 0 },
    errors: { count: errors, rate: requests > 0 ? errors / requests : 0 },
    intervals: intervals.map((i) => pointOf(i, maxLagMs)),
  };
  const last = intervals[intervals.length - 1];
  const outstanding = opts.outstanding ?? (last?.outstanding !== undefined ? { count: last.outstanding, overdue: last.overdue ?? 0 } : undefined);
  if (outstanding) out.outstanding = outstanding;
  if (opts.latencyCeilingMs !== undefined) out.latencyCeilingMs = opts.latencyCeilingMs;
  if (ok.count > 0) out.latencyBounds = percentileBounds(ok);
  if (failed.count > 0) out.latencyFailedBounds = percentileBounds(failed);
  if (outstanding && outstanding.count > 0) {
    // Should every request still in flight succeed as late as it can, the percentiles become these.
    out.latencyWorst = withOutstanding(ok, outstanding.count, opts.latencyCeilingMs);
    out.latencyFailedWorst = withOutstanding(failed, outstanding.count, opts.latencyCeilingMs);
  }
  ok.destroy();
  failed.destroy();
  const saturation = saturationOf(intervals);
  if (saturation) out.saturation = saturation;
  const health = new GeneratorTally(maxLagMs);
  for (const i of intervals) health.add(i);
  const generator = health.result();
  if (generator) out.generator = generator;
  return out;
}

/**
 * One interval covering both inputs: counts summed, histograms merged into new ones, worst lag.
 * Gauges (`outstanding`, `overdue`) are summed too, which is right for cohorts measured at the same
 * moment; a series over time keeps the latest gauge itself.
 */
export function mergeIntervals(a: CohortInterval, b: CohortInterval): CohortInterval {
  const out: CohortInterval = {
    start: Math.min(a.start, b.start),
    end: Math.max(a.end, b.end),
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    latencyOk: mergeHistograms([a.latencyOk, b.latencyOk]),
    latencyFailed: mergeHistograms([a.latencyFailed, b.latencyFailed]),
  };
  for (const key of ['bytes', 'lateSends', 'droppedSends', 'scheduledSends', 'outstanding', 'overdue', 'staleCompletions'] as const) {
    const v = sumDefined(a[key], b[key]);
    if (v !== undefined) out[key] = v;
  }
  const saturation = maxDefined(a.saturation, b.saturation);
  if (saturation !== undefined) out.saturation = saturation;
  const lag = maxDefined(a.generatorLagMs, b.generatorLagMs);
  if (lag !== undefined) out.generatorLagMs = lag;
  return out;
}

/** One-sided level of the percentile bounds a window carries (absolute checks pass or fail on them). */
export const PERCENTILE_BOUND_ALPHA = 0.05;

const PERCENTILES: [PercentileName, number][] = [['p50', 0.5], ['p90', 0.9], ['p95', 0.95], ['p99', 0.99], ['p999', 0.999]];

/** Distribution-free bounds of each percentile, read off the histogram at the ranks the binomial picks. */
function percentileBounds(h: HdrLatencyHistogram): Partial<Record<PercentileName, [number, number]>> {
  const out: Partial<Record<PercentileName, [number, number]>> = {};
  for (const [name, q] of PERCENTILES) {
    const r = quantileRankBounds(h.count, q, PERCENTILE_BOUND_ALPHA);
    out[name] = [r.lower !== undefined ? h.valueAtRank(r.lower) : 0, r.upper !== undefined ? h.valueAtRank(r.upper) : Infinity];
  }
  return out;
}

/** The summary of `h` with `count` more values at `ceilingMs` (Infinity where there is no ceiling). */
function withOutstanding(h: HdrLatencyHistogram, count: number, ceilingMs: number | undefined): LatencySummary {
  const copy = h.clone();
  const top = ceilingMs ?? HdrLatencyHistogram.HIGHEST_MS;
  for (let i = 0; i < count; i++) copy.record(top);
  const s = copy.summary();
  copy.destroy();
  if (ceilingMs !== undefined) return s;
  const inf = (v: number): number => (v >= HdrLatencyHistogram.HIGHEST_MS * 0.99 ? Infinity : v);
  return { ...s, max: Infinity, mean: Infinity, p50: inf(s.p50), p90: inf(s.p90), p95: inf(s.p95), p99: inf(s.p99), p999: inf(s.p999) };
}

/** A new histogram holding the counts of all inputs; the inputs are not changed. */
export function mergeHistograms(histograms: readonly LatencyHistogram[]): HdrLatencyHistogram {
  const out = new HdrLatencyHistogram();
  for (const h of histograms) if (h.count > 0) out.add(h);
  return out;
}

/** Whether an interval came from the load generator (which reports its own health). */
export function fromGenerator(i: CohortInterval): boolean {
  return i.lateSends !== undefined || i.droppedSends !== undefined || i.generatorLagMs !== undefined || i.scheduledSends !== undefined;
}

/**
 * Whether the generator kept its schedule in an interval: at most 5% of its due sends (or two) left
 * more than the lag bound late or not at all. The worst lag alone does not decide: a 15 ms pause
 * delays the few sends due in it, which the late count already holds. Undefined for other sources.
 */
export function intervalTrusted(i: CohortInterval, _maxLagMs: number = DEFAULT_MAX_LAG_MS): boolean | undefined {
  if (!fromGenerator(i)) return undefined;
  const missed = (i.lateSends ?? 0) + (i.droppedSends ?? 0);
  const due = i.scheduledSends ?? i.requests + (i.droppedSends ?? 0);
  return missed <= Math.max(2, UNTRUSTED_SEND_SHARE * due);
}

/** The point an interval contributes to a window (its percentiles for the rank tests). */
export function pointOf(i: CohortInterval, maxLagMs: number = DEFAULT_MAX_LAG_MS): IntervalPoint {
  const point: IntervalPoint = {
    at: i.end,
    requests: i.requests,
    errors: i.errors,
    // 0 when the interval holds no successful request; rank tests skip points with no latency.
    p50: i.latencyOk.percentile(50),
    p90: i.latencyOk.percentile(90),
    p95: i.latencyOk.percentile(95),
    p99: i.latencyOk.percentile(99),
  };
  if (i.saturation !== undefined) point.saturation = i.saturation;
  const trusted = intervalTrusted(i, maxLagMs);
  if (trusted !== undefined) point.trusted = trusted;
  return point;
}

/** Accumulates the load generator's health over a window, one interval at a time. */
export class GeneratorTally {
  private scheduled = 0;
  private late = 0;
  private dropped = 0;
  private lag = 0;
  private intervals = 0;
  private untrusted = 0;
  private untrustedScheduled = 0;

  constructor(private readonly maxLagMs: number = DEFAULT_MAX_LAG_MS) {}

  add(i: CohortInterval): void {
    if (!fromGenerator(i)) return;
    const due = i.scheduledSends ?? i.requests + (i.droppedSends ?? 0);
    this.intervals++;
    this.scheduled += due;
    this.late += i.lateSends ?? 0;
    this.dropped += i.droppedSends ?? 0;
    this.lag = Math.max(this.lag, i.generatorLagMs ?? 0);
    if (!intervalTrusted(i, this.maxLagMs)) {
      this.untrusted++;
      this.untrustedScheduled += due;
    }
  }

  /**
   * Trustworthy when at most 5% of the window's due sends left late and at most 0.5% were dropped:
   * beyond that, the latencies carry the generator's own delay, or the requests it shed are missing.
   */
  /** Adds a drained interval's counts to the latest one (no new interval). */
  absorb(i: CohortInterval): void {
    if (!fromGenerator(i)) return;
    this.scheduled += i.scheduledSends ?? 0;
    this.late += i.lateSends ?? 0;
    this.dropped += i.droppedSends ?? 0;
    this.lag = Math.max(this.lag, i.generatorLagMs ?? 0);
  }

  result(): GeneratorHealth | undefined {
    if (this.intervals === 0) return undefined;
    const trustworthy = this.late + this.dropped <= UNTRUSTWORTHY_LATE_SHARE * this.scheduled && this.dropped <= UNTRUSTWORTHY_DROP_SHARE * this.scheduled;
    const notes: string[] = [];
    if (!trustworthy) {
      notes.push(`${pct(this.late, this.scheduled)} of the due sends left late and ${pct(this.dropped, this.scheduled)} were never made, beyond the 5% late and 0.5% dropped a window can carry`);
    }
    if (this.untrusted > 0) {
      notes.push(
        `the load generator fell behind its schedule in ${this.untrusted} of ${this.intervals} intervals (more than 5% of their sends late or dropped), carrying ${pct(this.untrustedScheduled, this.scheduled)} of the due sends`,
      );
    }
    if (this.lag > this.maxLagMs) notes.push(`its worst lag was ${round(this.lag)} ms: latencies include its own delay there`);
    if (this.late > 0) notes.push(`${this.late} of ${this.scheduled} due sends left more than ${round(this.maxLagMs)} ms late`);
    if (this.dropped > 0) {
      notes.push(`${this.dropped} due sends were never made because maxInFlight requests were outstanding (the target stopped answering in time): they are neither traffic nor errors, so the window under-reports harm`);
    }
    return {
      scheduledSends: this.scheduled,
      lateSends: this.late,
      droppedSends: this.dropped,
      maxLagMs: round(this.lag),
      untrustedIntervals: this.untrusted,
      intervals: this.intervals,
      trustworthy,
      ...(notes.length ? { note: `${notes.join('; ')}.` } : {}),
    };
  }
}

function saturationOf(intervals: readonly CohortInterval[]): { max: number; mean: number } | undefined {
  const values = intervals.map((i) => i.saturation).filter((s): s is number => typeof s === 'number' && Number.isFinite(s));
  if (values.length === 0) return undefined;
  return { max: Math.max(...values), mean: values.reduce((s, v) => s + v, 0) / values.length };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 1000) / 10}%` : '0%';
}

function sumDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
