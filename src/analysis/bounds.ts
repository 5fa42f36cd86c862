import type { LatencySummary, PercentileName, WindowSignals } from '../signals/types.js';
import { signalField } from './fields.js';
import { wilsonInterval } from './stats/index.js';

/**
 * The values a window's field can still take, given the requests that were in flight when it ended:
 * `lo` and `hi` equal the observed value when nothing was in flight. An outstanding request may still
 * fail (an error, no latency) or succeed, at most as late as the probe's timeout (`latencyCeilingMs`;
 * with no ceiling, arbitrarily late: the window's `latencyWorst` holds those percentiles). A check
 * passes only if it passes at both ends, and fails only if it fails at both.
 */
export function fieldRange(w: WindowSignals, field: string): { lo: number; hi: number } {
  const observed = signalField(w, field) ?? NaN;
  const o = w.outstanding?.count ?? 0;
  if (o === 0) return { lo: observed, hi: observed };
  const n = w.traffic.count;
  const e = w.errors.count;
  const seconds = Math.max(1e-9, (w.end - w.start) / 1000);
  switch (field) {
    case 'errors.rate':
      return { lo: e / (n + o), hi: (e + o) / (n + o) };
    case 'errors.count':
      return { lo: e, hi: e + o };
    case 'traffic.count':
      return { lo: n, hi: n + o };
    case 'traffic.rate':
      return { lo: n / seconds, hi: (n + o) / seconds };
    case 'latency.count':
      return { lo: w.latency.count, hi: w.latency.count + o };
    case 'latencyFailed.count':
      return { lo: w.latencyFailed.count, hi: w.latencyFailed.count + o };
  }
  const m = /^(latency|latencyFailed)\.(p50|p90|p95|p99|p999|max|mean)$/.exec(field);
  const worst: LatencySummary | undefined = m ? (m[1] === 'latency' ? w.latencyWorst : w.latencyFailedWorst) : undefined;
  if (!m || !worst) return { lo: observed, hi: observed };
  // Ending the other way (failing instead of succeeding) leaves the successes' percentiles as they are.
  return { lo: observed, hi: Math.max(observed, worst[m[2] as keyof LatencySummary]) };
}

/** One-sided level of the bounds absolute and relative checks use (the window's percentile bounds share it). */
export const CHECK_ALPHA = 0.05;

/**
 * What the window's sample says a field could be (one-sided 95% bounds each way): Wilson bounds for an
 * error rate, order-statistic bounds for a latency percentile, the value itself for counts, rates of
 * traffic, saturation and the other latency figures. A check passes only if its limit holds at the
 * unfavourable end, and fails only if it breaks at the favourable one.
 */
export function sampleRange(w: WindowSignals, field: string): { lo: number; hi: number } {
  const observed = signalField(w, field) ?? NaN;
  if (field === 'errors.rate' && w.traffic.count > 0) {
    const b = wilsonInterval(w.errors.count, w.traffic.count, 1 - 2 * CHECK_ALPHA);
    return { lo: b.lower, hi: b.upper };
  }
  const m = /^(latency|latencyFailed)\.(p50|p90|p95|p99|p999)$/.exec(field);
  const bounds = m ? (m[1] === 'latency' ? w.latencyBounds : w.latencyFailedBounds)?.[m[2] as PercentileName] : undefined;
  if (bounds) return { lo: Math.min(observed, bounds[0] ?? 0), hi: Math.max(observed, bounds[1] ?? Infinity) };
  return { lo: observed, hi: observed };
}

/** Roughly how many requests a field needs before its bounds can fall on one side of `limit`, when that can be said. */
export function requestsNeeded(field: string, w: WindowSignals, limit: number): number | undefined {
  const z = 1.645;
  if (field === 'errors.rate' && limit > 0) {
    const p = w.traffic.count > 0 ? w.errors.count / w.traffic.count : 0;
    if (p === 0) return Math.ceil((z * z) / limit);
    if (p === limit) return undefined;
    return Math.ceil((z * z * p * (1 - p)) / (p - limit) ** 2);
  }
  const m = /\.(p50|p90|p95|p99|p999)$/.exec(field);
  if (m) {
    const q = m[1] === 'p999' ? 0.999 : Number(m[1]!.slice(1)) / 100;
    // The upper bound exists once q^n <= alpha: n >= ln(alpha) / ln(q).
    return Math.ceil(Math.log(CHECK_ALPHA) / Math.log(q));
  }
  return undefined;
}
