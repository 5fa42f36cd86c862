/**
 * The golden signals: latency, traffic, errors, saturation, per cohort and per time window.
 * Latency is always a histogram (never an average of averages); successes and failures kept apart.
 */

export type CohortName = 'canary' | 'control' | 'untouched';
export const COHORTS: readonly CohortName[] = ['canary', 'control', 'untouched'];

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
  /** Load generator only: the generator's own worst lag in the interval (event-loop delay, ms). */
  generatorLagMs?: number;
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
}

/** Per-interval values kept for the rank tests (one entry per tick). */
export interface IntervalPoint {
  at: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  saturation?: number;
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
  generator?: { lateSends: number; droppedSends: number; maxLagMs: number; trustworthy: boolean; note?: string };
}
