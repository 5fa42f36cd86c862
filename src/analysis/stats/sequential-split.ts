/**
 * An always-valid test for "canary's share of some events (errors, slow requests) is larger than its
 * share of traffic", safe to evaluate at every tick.
 *
 * Under the null each event lands in the canary with probability p (canary's traffic share), so for a
 * rate ratio θ the likelihood ratio of "canary's events arrive θ times as often" against the null is a
 * non-negative martingale with mean 1. A mixture of such ratios over a grid of θ > 1 (equal weights)
 * is again one, and by Ville's inequality it ever reaches 1/alpha with probability at most alpha: a
 * mixture sequential probability ratio test (Robbins 1970; Johari et al. 2017), one-sided.
 */

export interface SequentialSplitOptions {
  /** Probability of ever rejecting when canary is not worse (over all looks). */
  alpha: number;
  /**
   * Canary's share of traffic, the null share of events, in (0, 1); default 0.5 (cohorts of equal
   * size). Used for a look that brings neither `canaryShare` nor usable traffic counts.
   */
  expectedCanaryShare?: number;
  /** No rejection before this many events in total (a guard against tiny counts; validity does not need it). */
  minEvents: number;
  /** Grid of rate ratios (each > 1) the alternative is mixed over. */
  rateRatios?: readonly number[];
}

export interface SplitCounts {
  /** Cumulative events in canary and in control since the test was created. */
  canary: number;
  control: number;
  /**
   * Cumulative traffic per cohort: the share of the traffic that arrived since the last look becomes
   * the null share of the events that arrived since then.
   */
  canaryTraffic?: number;
  controlTraffic?: number;
  /** Canary's traffic share since the last look, stated directly (takes precedence over traffic). */
  canaryShare?: number;
}

export interface SequentialLook {
  /** True once the statistic reached the threshold (it stays true). */
  reject: boolean;
  /** The mixture likelihood ratio at this look. */
  statistic: number;
  logStatistic: number;
  /** 1 / alpha. */
  threshold: number;
  /** Number of updates so far. */
  looks: number;
  canaryEvents: number;
  totalEvents: number;
}

export interface SequentialSplitTest {
  update(counts: SplitCounts): SequentialLook;
  readonly options: Readonly<Required<SequentialSplitOptions>>;
}

/** Covers canary rates from a quarter more to twenty times control's. */
export const DEFAULT_RATE_RATIOS: readonly number[] = [1.25, 1.5, 2, 3, 5, 10, 20];

export function createSequentialSplitTest(opts: SequentialSplitOptions): SequentialSplitTest {
  const { alpha, minEvents } = opts;
  const expectedCanaryShare = opts.expectedCanaryShare ?? 0.5;
  const rateRatios = opts.rateRatios ?? DEFAULT_RATE_RATIOS;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  checkShare('expectedCanaryShare', expectedCanaryShare);
  if (!Number.isInteger(minEvents) || minEvents < 0) throw new RangeError(`minEvents must be a non-negative integer, got ${minEvents}`);
  if (rateRatios.length === 0 || rateRatios.some((t) => !(t > 1) || !Number.isFinite(t))) {
    throw new RangeError('rateRatios must be a non-empty list of finite ratios > 1');
  }
  const logWeight = -Math.log(rateRatios.length);
  const logLikelihood = new Float64Array(rateRatios.length);
  const threshold = 1 / alpha;
  const logThreshold = Math.log(threshold);
  let canarySeen = 0;
  let controlSeen = 0;
  let canaryTrafficSeen = 0;
  let controlTrafficSeen = 0;
  let looks = 0;
  let rejected = false;
  let logStatistic = 0;

  // The null share for this look's new events: stated, else from the new traffic, else the expected one.
  // It must not depend on the events themselves, which is why a tick without traffic falls back.
  function shareOf(counts: SplitCounts): number {
    if (counts.canaryShare !== undefined) {
      checkShare('canaryShare', counts.canaryShare);
      return counts.canaryShare;
    }
    const { canaryTraffic, controlTraffic } = counts;
    if (canaryTraffic === undefined || controlTraffic === undefined) return expectedCanaryShare;
    if (!(canaryTraffic >= canaryTrafficSeen) || !(controlTraffic >= controlTrafficSeen) || !Number.isFinite(canaryTraffic + controlTraffic)) {
      throw new RangeError(
        `traffic must be cumulative (had ${canaryTrafficSeen}/${controlTrafficSeen}, got ${canaryTraffic}/${controlTraffic})`,
      );
    }
    const newCanary = canaryTraffic - canaryTrafficSeen;
    const newControl = controlTraffic - controlTrafficSeen;
    canaryTrafficSeen = canaryTraffic;
    controlTrafficSeen = controlTraffic;
    const share = newCanary / (newCanary + newControl);
    return share > 0 && share < 1 ? share : expectedCanaryShare;
  }

  function update(counts: SplitCounts): SequentialLook {
    const { canary, control } = counts;
    if (!Number.isInteger(canary) || !Number.isInteger(control) || canary < canarySeen || control < controlSeen) {
      throw new RangeError(`counts must be cumulative non-negative integers (had ${canarySeen}/${controlSeen}, got ${canary}/${control})`);
    }
    const share = shareOf(counts);
    const newCanary = canary - canarySeen;
    const newControl = control - controlSeen;
    canarySeen = canary;
    controlSeen = control;
    looks++;
    if (newCanary + newControl > 0) {
      for (let j = 0; j < rateRatios.length; j++) {
        const theta = rateRatios[j]!;
        // Canary's share of events if its rate were theta times control's.
        const alt = (theta * share) / (theta * share + 1 - share);
        logLikelihood[j]! += newCanary * Math.log(alt / share) + newControl * Math.log((1 - alt) / (1 - share));
      }
      logStatistic = logSumExp(logLikelihood) + logWeight;
    }
    if (!rejected && canary + control >= minEvents && logStatistic >= logThreshold) rejected = true;
    return {
      reject: rejected,
      statistic: Math.exp(logStatistic),
      logStatistic,
      threshold,
      looks,
      canaryEvents: canary,
      totalEvents: canary + control,
    };
  }

  return { update, options: { alpha, expectedCanaryShare, minEvents, rateRatios } };
}

function logSumExp(values: Float64Array): number {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

function checkShare(name: string, share: number): void {
  if (!(share > 0 && share < 1)) throw new RangeError(`${name} must be in (0, 1), got ${share}`);
}
