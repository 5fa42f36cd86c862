/**
 * The golden signals: latency, traffic, errors, saturation, per cohort and per time window.
 * Latency is always a histogram (never an average of averages); successes and failures kept apart.
 */

export type CohortName = 'canary' | 'control' | 'untouched';
export const COHORTS: readonly CohortName[] = ['canary', 'control', 'untouched'];

export type PercentileName = 'p50' | 'p90' | 'p95' | 'p99' | 'p999';

/** Percentiles in milliseconds from an HDR histogram. */
export interface LatencySummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** A mergeable latency histogram (HDR, microsecond resolution, values in ms at the API). */
export interface LatencyHistogram {
  record(ms: number): void;
  /** Records with coordinated-omission correction against an expected interval (ms). */
  recordCorrected?(ms: number, expectedIntervalMs: number): void;
  add(other: LatencyHistogram): void;
  summary(): LatencySummary;
  percentile(p: number): number;
  readonly count: number;
  reset(): void;
  destroy(): void;
}

/** What a signal source measured for one cohort between two collections. */
export interface CohortInterval {
  /** Epoch ms, inclusive start and exclusive end of the interval. */
  start: number;
  end: number;
  requests: number;
  /** Requests that failed (subset of `requests`): 5xx, resets, timeouts, per the source's rule. */
  errors: number;
  latencyOk: LatencyHistogram;
  latencyFailed: LatencyHistogram;
  bytes?: number;
  /** 0..1, the most constrained resource over the interval, if the source knows it. */
  saturation?: number;
  /** Load generator only: sends that left later than their schedule allowed, and sends not made. */
  lateSends?: number;
  droppedSends?: number;
  /** Load generator only: sends due in the interval (the open model's promise: sent, late or dropped). */
  scheduledSends?: number;
  /** Load generator only: the generator's own worst lag in the interval (event-loop delay, ms). */
  generatorLagMs?: number;
  /**
   * Requests of the current window still in flight when the interval was collected (a gauge, not a
   * count over the interval): their outcome is not known yet. A stalled cohort shows here first.
   */
  outstanding?: number;
  /** Of `outstanding`, those in flight longer than the probe's timeout: failed, as a client sees it. */
  overdue?: number;
  /** Completions of requests sent before the current window began: left out of every count. */
  staleCompletions?: number;
}

export type IntervalByCohort = Partial<Record<CohortName, CohortInterval>>;

/**
 * A source of golden signals that runs for a whole experiment: a load generator (active), the proxy's
 * counters, Prometheus, host saturation (passive). The engine starts it once, collects every tick, and
 * stops it at the end. Each collection returns what was measured since the previous one; the engine
 * owns the histograms it receives.
 */
export interface SignalSource {
  readonly name: string;
  start(ctx: { signal: AbortSignal; logger: import('pino').Logger }): Promise<void>;
  collect(): Promise<IntervalByCohort>;
  stop(): Promise<void>;
  /**
   * Optional: a measurement window starts now. Sources that can tell which window a request was
   * sent in (the load generator) leave what an earlier window sent out of later collections.
   */
  beginWindow?(): void;
  /**
   * Optional: the measurement window ends now. New requests count nowhere; those the window sent keep
   * completing into later collections until `drainMs` has passed, so the window can be drained of them
   * (completed or timed out) before it is judged.
   */
  endWindow?(): void;
  /** With endWindow: how long draining a window may take (the probe's request timeout and a margin). */
  readonly drainMs?: number;
  /**
   * Optional: how long it should run before anything it measures counts (the load generator opens
   * its connections and warms its code path, so the first measured second is like the rest).
   */
  readonly warmupMs?: number;
}

/** Per-interval values kept for the rank tests (one entry per tick). */
export interface IntervalPoint {
  at: number;
  requests: number;
  errors: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  saturation?: number;
  /** False when the load generator could not keep its schedule in this interval (lag, drops, late sends). */
  trusted?: boolean;
}

/** The golden signals of one cohort over one phase window, as written into the journal. */
export interface WindowSignals {
  cohort: CohortName;
  start: number;
  end: number;
  latency: LatencySummary;
  latencyFailed: LatencySummary;
  traffic: { count: number; rate: number };
  errors: { count: number; rate: number };
  saturation?: { max: number; mean: number };
  intervals: IntervalPoint[];
  /** Requests still in flight when the window ended (their outcome is unknown), and how many were overdue. */
  outstanding?: { count: number; overdue: number };
  /** Upper bound of one successful request's latency (the probe's timeout), for bounds over outstanding requests. */
  latencyCeilingMs?: number;
  /**
   * One-sided 95% confidence bounds of each percentile of the cohort's latency (order statistics of the
   * window's values): [lower, upper], the upper Infinity when too few requests bound it at all.
   */
  latencyBounds?: Partial<Record<PercentileName, [number, number]>>;
  latencyFailedBounds?: Partial<Record<PercentileName, [number, number]>>;
  /** The latency summaries should every outstanding request succeed (or fail) at the ceiling: the worst case. */
  latencyWorst?: LatencySummary;
  latencyFailedWorst?: LatencySummary;
  generator?: GeneratorHealth;
}

/** Whether the load generator kept the open model's promise in a window, and why not. */
export interface GeneratorHealth {
  scheduledSends: number;
  lateSends: number;
  droppedSends: number;
  maxLagMs: number;
  /** Intervals in which the generator fell behind (more than 5% of their sends late or dropped); rank tests leave them out. */
  untrustedIntervals: number;
  intervals: number;
  /** False when more than 5% of the window's due sends left late, or more than 0.5% were never made. */
  trustworthy: boolean;
  note?: string;
}
