import { createSequentialSplitTest, type SequentialLook } from './sequential-split.js';

interface Traffic {
  /** Cumulative requests per cohort; the share that arrived since the last look is the null share. */
  canaryTraffic?: number;
  controlTraffic?: number;
  /** Or canary's traffic share since the last look, stated directly. */
  canaryShare?: number;
}

export interface SequentialErrorTestOptions {
  alpha: number;
  /** Canary's share of traffic when a look brings no traffic counts; default 0.5 (cohorts of equal size). */
  expectedCanaryShare?: number;
  /** No abort before this many errors in both cohorts together. */
  minErrors: number;
  rateRatios?: readonly number[];
}

export interface SequentialErrorTest {
  /** Cumulative error counts since the fault went in (and, better, cumulative traffic). */
  update(counts: { canaryErrors: number; controlErrors: number } & Traffic): SequentialLook;
}

/** Stop condition on errors: is canary getting more than its share of the errors? Valid at every tick. */
export function createSequentialErrorTest(opts: SequentialErrorTestOptions): SequentialErrorTest {
  const test = createSequentialSplitTest({ ...splitOptions(opts), minEvents: opts.minErrors });
  return { update: ({ canaryErrors, controlErrors, ...traffic }) => test.update({ canary: canaryErrors, control: controlErrors, ...traffic }) };
}

export interface SequentialLatencyTestOptions {
  alpha: number;
  expectedCanaryShare?: number;
  /** No abort before this many slow requests in both cohorts together. */
  minSlow: number;
  rateRatios?: readonly number[];
}

export interface SequentialLatencyTest {
  /**
   * Cumulative counts of requests slower than a threshold fixed before the first look (for example
   * control's p99 in the before phase, or an SLO), per cohort.
   */
  update(counts: { canarySlow: number; controlSlow: number } & Traffic): SequentialLook;
}

/**
 * Stop condition on latency: is canary getting more than its share of the slow requests? When both
 * cohorts have the same latency distribution, whatever it is and however it drifts, each slow request
 * is canary's with probability equal to its traffic share, so the error-split test applies unchanged.
 */
export function createSequentialLatencyTest(opts: SequentialLatencyTestOptions): SequentialLatencyTest {
  const test = createSequentialSplitTest({ ...splitOptions(opts), minEvents: opts.minSlow });
  return { update: ({ canarySlow, controlSlow, ...traffic }) => test.update({ canary: canarySlow, control: controlSlow, ...traffic }) };
}

function splitOptions(opts: { alpha: number; expectedCanaryShare?: number; rateRatios?: readonly number[] }) {
  return {
    alpha: opts.alpha,
    ...(opts.expectedCanaryShare === undefined ? {} : { expectedCanaryShare: opts.expectedCanaryShare }),
    ...(opts.rateRatios === undefined ? {} : { rateRatios: opts.rateRatios }),
  };
}
