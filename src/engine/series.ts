import { createHistogram } from '../signals/histogram.js';
import { mergeIntervals, pointOf, summarizeWindow } from '../signals/window.js';
import type { CohortInterval, CohortName, IntervalPoint, WindowSignals } from '../signals/types.js';

/** How many of the latest intervals keep their histograms (rolling stop-condition windows use them). */
export const RECENT_INTERVALS = 10;

/**
 * One cohort of one signals probe over one phase, kept in bounded memory however long the phase:
 * a running merge of every interval (for the window), one small point per interval (for the rank
 * tests), and only the latest intervals whole (for rolling stop conditions).
 */
export class CohortSeries {
  private merged: CohortInterval | undefined;
  private readonly points: IntervalPoint[] = [];
  private readonly saturations: number[] = [];
  private readonly recentIntervals: CohortInterval[] = [];
  /** Intervals added so far; the index of the next one. */
  count = 0;

  add(interval: CohortInterval): void {
    this.merged = mergeIntervals(this.merged ?? emptyAt(interval.start), interval);
    this.points.push(pointOf(interval));
    if (interval.saturation !== undefined && Number.isFinite(interval.saturation)) this.saturations.push(interval.saturation);
    this.recentIntervals.push(interval);
    if (this.recentIntervals.length > RECENT_INTERVALS) this.recentIntervals.shift();
    this.count++;
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

  summarize(cohort: CohortName | 'all', start: number, end: number, opts: { maxLagMs?: number }): WindowSignals | undefined {
    if (!this.merged) return undefined;
    const w = summarizeWindow(cohort as CohortName, [this.merged], start, end, opts);
    w.intervals = [...this.points];
    if (this.saturations.length) {
      w.saturation = { max: Math.max(...this.saturations), mean: this.saturations.reduce((s, v) => s + v, 0) / this.saturations.length };
    } else delete w.saturation;
    return w;
  }
}

/** An interval with nothing in it, the start of a running merge. */
function emptyAt(start: number): CohortInterval {
  return { start, end: start, requests: 0, errors: 0, latencyOk: createHistogram(), latencyFailed: createHistogram() };
}
