import type { AbortSpec } from '../experiment/model.js';
import { compare } from '../analysis/expressions.js';
import { formatField, round, signalField } from '../analysis/fields.js';
import { createSequentialErrorTest, createSequentialLatencyTest } from '../analysis/stats/index.js';
import type { HdrLatencyHistogram } from '../signals/histogram.js';
import { intervalTrusted, summarizeWindow } from '../signals/window.js';
import type { CohortName, WindowSignals } from '../signals/types.js';
import type { RunContext } from './context.js';
import type { Evidence, PhaseRecord, StopConditionRecord } from './journal.js';
import type { SignalHub } from './measure.js';

/** Guard rails look at the last few ticks, so a fault that starts late still trips them quickly. */
export const GUARD_WINDOW_TICKS = 5;

/** Without `min N`, a guard rail on errors waits for this many canary errors, others for this many requests per cohort. */
export const DEFAULT_GUARD_MIN = 5;

interface Look {
  reject: boolean;
  statistic: number;
  threshold: number;
  looks: number;
}

interface Sequential {
  update(c: { canary: number; control: number; canaryTraffic: number; controlTraffic: number }): Look;
}

/**
 * The stop conditions of one run, checked every tick of the during phase while a fault is live.
 * Guard rails compare the rolling window with a limit; sequential conditions use tests that stay
 * valid under repeated looks (docs/statistics.md), so checking every tick does not inflate false
 * aborts. Each condition counts its looks, so the journal can say which one never evaluated.
 */
export class StopConditions {
  private readonly streaks = new Map<string, number>();
  private readonly sequential = new Map<string, Sequential>();
  private readonly slow = new Map<string, { next: number; count: number }>();
  private readonly looks = new Map<string, { looks: number; last?: Evidence; why?: string }>();

  constructor(
    private readonly ctx: RunContext,
    private readonly hub: SignalHub,
    private readonly before?: PhaseRecord,
  ) {
    for (const a of ctx.experiment.abort) {
      this.looks.set(a.text, { looks: 0 });
      if (a.kind !== 'sequential') continue;
      const share = this.expectedShare();
      if (a.signal === 'errors') {
        const t = createSequentialErrorTest({ alpha: a.alpha, expectedCanaryShare: share, minErrors: a.minErrors });
        this.sequential.set(a.text, { update: (c) => t.update({ canaryErrors: c.canary, controlErrors: c.control, canaryTraffic: c.canaryTraffic, controlTraffic: c.controlTraffic }) });
      } else {
        const t = createSequentialLatencyTest({ alpha: a.alpha, expectedCanaryShare: share, minSlow: a.minErrors });
        this.sequential.set(a.text, { update: (c) => t.update({ canarySlow: c.canary, controlSlow: c.control, canaryTraffic: c.canaryTraffic, controlTraffic: c.controlTraffic }) });
      }
    }
  }

  /** Canary's traffic share from the configured cohorts (the tests adjust it per tick from counts). */
  private expectedShare(): number {
    const t = this.ctx.experiment.cohort.traffic;
    return t && t.canary + t.control > 0 ? t.canary / (t.canary + t.control) : 0.5;
  }

  /**
   * "Slow" for the sequential latency test, fixed before the first look as the test requires: the
   * threshold written (`> 300ms`), a multiple of the before phase (`> 2x before`), or by default the
   * slower cohort's p99 in the before phase (under the null each cohort then sends ~1% above it).
   */
  private slowThreshold(a: Extract<AbortSpec, { kind: 'sequential' }>): number | undefined {
    if (a.slowerThan && 'ms' in a.slowerThan) return a.slowerThan.ms;
    const s = this.before?.signals[a.probe];
    const c = s?.canary;
    const k = s?.control;
    if (!c || !k || c.latency.count + k.latency.count === 0) return undefined;
    const p99 = Math.max(c.latency.count ? c.latency.p99 : 0, k.latency.count ? k.latency.p99 : 0);
    return a.slowerThan && 'beforeFactor' in a.slowerThan ? p99 * a.slowerThan.beforeFactor : p99;
  }

  /** The first condition that trips on this tick, with its evidence; undefined when none does. */
  check(): Evidence | undefined {
    let tripped: Evidence | undefined;
    for (const a of this.ctx.experiment.abort) {
      const ev = this.evaluate(a);
      const seen = this.looks.get(a.text)!;
      if (ev) {
        seen.looks++;
        seen.last = ev;
      }
      if (ev?.outcome === 'fail' && !tripped) tripped = ev;
    }
    return tripped;
  }

  /** For the journal: how often each condition could be evaluated, and what it last saw. */
  report(): StopConditionRecord[] {
    return this.ctx.experiment.abort.map((a) => {
      const seen = this.looks.get(a.text)!;
      return {
        check: a.text,
        looks: seen.looks,
        ...(seen.last ? { last: seen.last } : {}),
        ...(seen.looks === 0 ? { note: seen.why ?? 'never evaluated: no fault was live, or the probe measured nothing it needs' } : {}),
      };
    });
  }

  private cannot(a: AbortSpec, why: string): undefined {
    this.looks.get(a.text)!.why = `never evaluated: ${why}`;
    return undefined;
  }

  /** The last `ticks` trusted intervals of the during phase (or all of it), summarized. */
  private window(probe: string, cohort: CohortName | 'all', ticks?: number): WindowSignals | undefined {
    const series = this.hub.series('during', probe, cohort);
    if (!series || series.count === 0) return undefined;
    if (!ticks) return series.summarize(cohort, 0, 0);
    // A tick in which the load generator fell behind says more about the generator than the system.
    const opts = this.hub.windowOptions(probe);
    const slice = series.recent(ticks).filter((i) => intervalTrusted(i, opts.maxLagMs) !== false);
    if (slice.length === 0) return undefined;
    const w = summarizeWindow(cohort as CohortName, slice, slice[0]!.start, slice[slice.length - 1]!.end, opts);
    const latest = series.latestOutstanding();
    if (latest) w.outstanding = latest;
    return w;
  }

  /** Requests slower than `threshold` (ms) in a cohort over the during phase so far, counted as intervals arrive. */
  private slowCount(probe: string, cohort: CohortName, threshold: number): number {
    const key = `${probe}/${cohort}`;
    const tally = this.slow.get(key) ?? { next: 0, count: 0 };
    for (const { index, interval } of this.hub.series('during', probe, cohort)?.since(tally.next) ?? []) {
      tally.count += (interval.latencyOk as HdrLatencyHistogram).countAbove(threshold) + interval.latencyFailed.count;
      tally.next = index + 1;
    }
    this.slow.set(key, tally);
    return tally.count;
  }

  private streak(key: string, holds: boolean): number {
    const n = holds ? (this.streaks.get(key) ?? 0) + 1 : 0;
    this.streaks.set(key, n);
    return n;
  }

  private evaluate(a: AbortSpec): Evidence | undefined {
    const base = { check: a.text, kind: `stop:${a.kind}`, phase: 'during' as const, probe: a.probe };
    if (a.kind === 'guard') {
      const measured = this.hub.cohortsOf(a.probe);
      const cohort = a.cohort ?? (measured ? (measured.includes('canary') ? 'canary' : 'all') : this.hub.series('during', a.probe, 'canary')?.count ? 'canary' : 'all');
      const w = this.window(a.probe, cohort, GUARD_WINDOW_TICKS);
      if (!w) return this.cannot(a, `probe ${a.probe} measured nothing for the ${cohort} cohort while a fault was live`);
      // Requests in flight longer than the probe's timeout have failed, as far as a client is concerned.
      const overdue = w.outstanding?.overdue ?? 0;
      const errors = w.errors.count + overdue;
      const requests = w.traffic.count + overdue;
      const v = a.field === 'errors.rate' ? (requests > 0 ? errors / requests : undefined) : a.field === 'errors.count' ? errors : signalField(w, a.field);
      if (v === undefined || (/^latency\./.test(a.field) && w.latency.count === 0)) return this.cannot(a, `no ${a.field} for the ${cohort} cohort while a fault was live`);
      const floor = a.field.startsWith('errors') ? errors : requests;
      const min = a.min ?? (a.field.startsWith('errors') ? DEFAULT_GUARD_MIN : 1);
      const holds = compare(v, a.op, a.value) && floor >= min;
      const n = this.streak(a.text, holds);
      return {
        ...base, cohort, outcome: n >= a.ticks ? 'fail' : 'pass',
        expected: `not (${a.field} ${a.op} ${formatField(a.field, a.value)} with at least ${min} ${a.field.startsWith('errors') ? 'errors' : 'requests'}${a.ticks > 1 ? ` for ${a.ticks} ticks` : ''})`,
        observed: formatField(a.field, v), samples: { requests, errors, ...(overdue ? { overdue } : {}), ticks: n },
      };
    }
    if (a.kind === 'guard-vs-control') {
      const c = this.window(a.probe, 'canary', GUARD_WINDOW_TICKS);
      const k = this.window(a.probe, 'control', GUARD_WINDOW_TICKS);
      if (!c || !k) return this.cannot(a, `probe ${a.probe} did not measure both the canary and the control while a fault was live`);
      const errorsField = a.field.startsWith('errors');
      const rate = (w: WindowSignals): number | undefined => {
        const overdue = w.outstanding?.overdue ?? 0;
        if (a.field === 'errors.rate') return w.traffic.count + overdue > 0 ? (w.errors.count + overdue) / (w.traffic.count + overdue) : undefined;
        if (a.field === 'errors.count') return w.errors.count + overdue;
        return /^latency\./.test(a.field) && w.latency.count === 0 ? undefined : signalField(w, a.field);
      };
      const cv = rate(c);
      const kv = rate(k);
      if (cv === undefined || kv === undefined) return this.cannot(a, `no ${a.field} for both cohorts while a fault was live`);
      const min = a.min ?? DEFAULT_GUARD_MIN;
      // For errors, `min` counts the canary's errors (the control may well have none: then any canary
      // errors beyond the minimum are more than any multiple of it); otherwise requests in each cohort.
      const enough = errorsField ? c.errors.count + (c.outstanding?.overdue ?? 0) >= min : Math.min(c.traffic.count, k.traffic.count) >= min;
      const holds = enough && compare(cv, a.op, kv * a.factor);
      const n = this.streak(a.text, holds);
      return {
        ...base, cohort: 'canary', outcome: n >= a.ticks ? 'fail' : 'pass',
        expected: `not (canary ${a.field} ${a.op} ${a.factor}x control, with at least ${min} ${errorsField ? 'canary errors' : 'requests per cohort'}${a.ticks > 1 ? ` for ${a.ticks} ticks` : ''})`,
        observed: { canary: formatField(a.field, cv), control: formatField(a.field, kv), ratio: kv > 0 ? round(cv / kv) : cv > 0 ? 'unbounded (control has none)' : null },
        samples: { canary: c.traffic.count, control: k.traffic.count, ticks: n },
      };
    }
    const c = this.window(a.probe, 'canary');
    const k = this.window(a.probe, 'control');
    if (!c || !k) return this.cannot(a, `probe ${a.probe} did not measure both the canary and the control while a fault was live`);
    const test = this.sequential.get(a.text)!;
    let counts: { canary: number; control: number };
    let threshold: number | undefined;
    if (a.signal === 'errors') counts = { canary: c.errors.count, control: k.errors.count };
    else {
      threshold = this.slowThreshold(a);
      if (threshold === undefined) return this.cannot(a, 'no before-phase latency of both cohorts to fix the slow-request threshold (write one: "> 300ms")');
      counts = { canary: this.slowCount(a.probe, 'canary', threshold), control: this.slowCount(a.probe, 'control', threshold) };
    }
    const r = test.update({ ...counts, canaryTraffic: c.traffic.count, controlTraffic: k.traffic.count });
    const slowWhat = a.slowerThan && 'ms' in a.slowerThan ? `${round(threshold!)}ms` : a.slowerThan ? `${round(threshold!)}ms (${a.slowerThan.beforeFactor}x the before phase's p99)` : `${round(threshold!)}ms (the before phase's p99)`;
    return {
      ...base, cohort: 'canary', outcome: r.reject ? 'fail' : 'pass',
      expected: a.signal === 'errors' ? "canary's share of errors no larger than its share of traffic" : `canary's share of requests slower than ${slowWhat} no larger than its share of traffic`,
      observed: a.signal === 'errors' ? { canaryErrors: counts.canary, controlErrors: counts.control } : { canarySlow: counts.canary, controlSlow: counts.control },
      test: 'mixture sequential probability ratio test (always valid)',
      statistic: r.statistic, samples: { canary: c.traffic.count, control: k.traffic.count, looks: r.looks },
      reason: `likelihood ratio ${round(r.statistic)} vs threshold ${round(r.threshold)} (1/alpha, alpha ${a.alpha})`,
    };
  }
}
