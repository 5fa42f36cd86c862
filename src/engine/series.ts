import { createHistogram } from '../signals/histogram.js';
import { GeneratorTally, mergeIntervals, pointOf, summarizeWindow, type SummarizeOptions } from '../signals/window.js';
import type { CohortInterval, CohortName, IntervalPoint, WindowSignals } from '../signals/types.js';

/** How many of the latest intervals keep their histograms (rolling stop-condition windows use them). */
export const RECENT_INTERVALS = 10;

/**
 * One cohort of one signals probe over one phase, kept in bounded memory however long the phase:
 * a running merge of every interval (for the window), one small point per interval (for the rank
 * tests), the generator's health as it goes, and only the latest intervals whole (for rolling stop
 * conditions).
 */
export class CohortSeries {
  private merged: CohortInterval | undefined;
  private last: CohortInterval | undefined;
  private readonly points: IntervalPoint[] = [];
  private readonly saturations: number[] = [];
  private readonly recentIntervals: CohortInterval[] = [];
  private readonly health: GeneratorTally;
  /** Intervals added so far; the index of the next one. */
  count = 0;

  constructor(private readonly opts: SummarizeOptions = {}) {
    this.health = new GeneratorTally(opts.maxLagMs);
  }

  add(interval: CohortInterval): void {
    // The running merge is the series' own: it grows in place (a new pair of histograms per tick and
    // cohort would only feed the garbage collector, whose pauses delay the very load being measured).
    if (!this.merged) this.merged = mergeIntervals(emptyAt(interval.start), interval);
    else addInto(this.merged, interval);
    this.last = interval;
    this.points.push(pointOf(interval, this.opts.maxLagMs));
    this.health.add(interval);
    if (interval.saturation !== undefined && Number.isFinite(interval.saturation)) this.saturations.push(interval.saturation);
    this.recentIntervals.push(interval);
    if (this.recentIntervals.length > RECENT_INTERVALS) this.recentIntervals.shift();
    this.count++;
  }

  /**
   * Folds a late collection into the latest interval instead of adding one: a window being drained of
   * the requests it sent gets their completions without a short extra interval in its rank tests.
   */
  absorb(interval: CohortInterval): void {
    if (!this.last || !this.merged) return this.add(interval);
    const joined = mergeIntervals(this.last, interval);
    joined.outstanding = interval.outstanding;
    joined.overdue = interval.overdue;
    addInto(this.merged, interval);
    this.health.absorb(interval);
    this.points[this.points.length - 1] = pointOf(joined, this.opts.maxLagMs);
    this.recentIntervals[this.recentIntervals.length - 1] = joined;
    this.last = joined;
  }

  /** The last `n` intervals (at most RECENT_INTERVALS), oldest first. */
  recent(n = RECENT_INTERVALS): CohortInterval[] {
    return this.recentIntervals.slice(-n);
  }

  /** Intervals with index >= `from` that are still kept, with their indexes. */
  since(from: number): { index: number; interval: CohortInterval }[] {
    const first = this.count - this.recentIntervals.length;
    return this.recentIntervals.map((interval, i) => ({ index: first + i, interval })).filter((x) => x.index >= from);
  }

  /** Requests and errors so far (cheap, no histogram work). */
  totals(): { requests: number; errors: number } {
    return { requests: this.merged?.requests ?? 0, errors: this.merged?.errors ?? 0 };
  }

  /** The latest gauges: requests in flight at the last collection, and how many of them were overdue. */
  latestOutstanding(): { count: number; overdue: number } | undefined {
    return this.last?.outstanding === undefined ? undefined : { count: this.last.outstanding, overdue: this.last.overdue ?? 0 };
  }

  summarize(cohort: CohortName | 'all', start: number, end: number): WindowSignals | undefined {
    if (!this.merged) return undefined;
    const outstanding = this.latestOutstanding();
    const w = summarizeWindow(cohort as CohortName, [this.merged], start, end, { ...this.opts, ...(outstanding ? { outstanding } : {}) });
    w.intervals = [...this.points];
    if (this.saturations.length) {
      w.saturation = { max: Math.max(...this.saturations), mean: this.saturations.reduce((s, v) => s + v, 0) / this.saturations.length };
    } else delete w.saturation;
    if (!outstanding) delete w.outstanding;
    const generator = this.health.result();
    if (generator) w.generator = generator;
    else delete w.generator;
    return w;
  }
}

/** An interval with nothing in it, the start of a running merge. */
function emptyAt(start: number): CohortInterval {
  return { start, end: start, requests: 0, errors: 0, latencyOk: createHistogram(), latencyFailed: createHistogram() };
}

/** Adds an interval's counts and histograms into `into` (the later end wins; gauges are the series' own). */
function addInto(into: CohortInterval, i: CohortInterval): void {
  into.end = Math.max(into.end, i.end);
  into.requests += i.requests;
  into.errors += i.errors;
  if (i.latencyOk.count > 0) into.latencyOk.add(i.latencyOk);
  if (i.latencyFailed.count > 0) into.latencyFailed.add(i.latencyFailed);
  for (const key of ['bytes', 'lateSends', 'droppedSends', 'scheduledSends', 'staleCompletions'] as const) {
    if (i[key] !== undefined) into[key] = (into[key] ?? 0) + i[key]!;
  }
  if (i.saturation !== undefined) into.saturation = Math.max(into.saturation ?? 0, i.saturation);
  if (i.generatorLagMs !== undefined) into.generatorLagMs = Math.max(into.generatorLagMs ?? 0, i.generatorLagMs);
}
