import type { AbortSpec } from '../experiment/model.js';
import { compare } from '../analysis/expressions.js';
import { formatField, round, signalField } from '../analysis/fields.js';
import { createSequentialErrorTest, createSequentialLatencyTest } from '../analysis/stats/index.js';
import type { HdrLatencyHistogram } from '../signals/histogram.js';
import { summarizeWindow } from '../signals/window.js';
import type { CohortName, WindowSignals } from '../signals/types.js';
import type { RunContext } from './context.js';
import type { Evidence, PhaseRecord } from './journal.js';
import type { SignalHub } from './measure.js';

/** Guard rails look at the last few ticks, so a fault that starts late still trips them quickly. */
export const GUARD_WINDOW_TICKS = 5;

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
 * The stop conditions of one run, checked every tick of the during phase. Guard rails compare the
 * rolling window with a limit; sequential conditions use tests that stay valid under repeated looks
 * (docs/statistics.md), so checking every tick does not inflate false aborts.
 */
export class StopConditions {
  private readonly streaks = new Map<string, number>();
  private readonly sequential = new Map<string, Sequential>();
  private readonly slow = new Map<string, { next: number; count: number }>();

  constructor(
    private readonly ctx: RunContext,
    private readonly hub: SignalHub,
    private readonly before?: PhaseRecord,
  ) {
    for (const a of ctx.experiment.abort) {
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
   * "Slow" for the sequential latency test: fixed before the first look, as the test requires. The
   * p99 of both cohorts together in the before phase: under the null each cohort sends ~1% above it.
   */
  private slowThreshold(probe: string): number | undefined {
    const s = this.before?.signals[probe];
    const c = s?.canary;
    const k = s?.control;
    if (!c || !k || c.latency.count + k.latency.count === 0) return undefined;
    return Math.max(c.latency.p99, k.latency.p99);
  }

  /** The first condition that trips on this tick, with its evidence; undefined when none does. */
  check(): Evidence | undefined {
    for (const a of this.ctx.experiment.abort) {
      const ev = this.evaluate(a);
      if (ev?.outcome === 'fail') return ev;
    }
    return undefined;
  }

  /** The last `ticks` intervals of the during phase, or all of it. */
  private window(probe: string, cohort: CohortName | 'all', ticks?: number): WindowSignals | undefined {
    const series = this.hub.series('during', probe, cohort);
    if (!series || series.count === 0) return undefined;
    if (!ticks) return series.summarize(cohort, 0, 0, {});
    const slice = series.recent(ticks);
    return summarizeWindow(cohort as CohortName, slice, slice[0]!.start, slice[slice.length - 1]!.end);
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
      const cohort = a.cohort ?? (this.hub.series('during', a.probe, 'canary')?.count ? 'canary' : 'all');
      const w = this.window(a.probe, cohort, GUARD_WINDOW_TICKS);
      const v = signalField(w, a.field);
      if (!w || v === undefined) return undefined;
      const floor = a.field.startsWith('errors') ? w.errors.count : w.traffic.count;
      const holds = compare(v, a.op, a.value) && (a.min === undefined || floor >= a.min);
      const n = this.streak(a.text, holds);
      return {
        ...base, cohort, outcome: n >= a.ticks ? 'fail' : 'pass',
        expected: `not (${a.field} ${a.op} ${formatField(a.field, a.value)}${a.min !== undefined ? ` with at least ${a.min}` : ''}${a.ticks > 1 ? ` for ${a.ticks} ticks` : ''})`,
        observed: formatField(a.field, v), samples: { requests: w.traffic.count, errors: w.errors.count, ticks: n },
      };
    }
    if (a.kind === 'guard-vs-control') {
      const c = this.window(a.probe, 'canary', GUARD_WINDOW_TICKS);
      const k = this.window(a.probe, 'control', GUARD_WINDOW_TICKS);
      const cv = signalField(c, a.field);
      const kv = signalField(k, a.field);
      if (cv === undefined || kv === undefined || !c || !k) return undefined;
      const enough = a.min === undefined || Math.min(c.traffic.count, k.traffic.count) >= a.min;
      const holds = enough && kv > 0 && compare(cv, a.op, kv * a.factor);
      const n = this.streak(a.text, holds);
      return {
        ...base, cohort: 'canary', outcome: n >= a.ticks ? 'fail' : 'pass',
        expected: `not (canary ${a.field} ${a.op} ${a.factor}x control${a.ticks > 1 ? ` for ${a.ticks} ticks` : ''})`,
        observed: { canary: formatField(a.field, cv), control: formatField(a.field, kv), ratio: kv > 0 ? round(cv / kv) : null },
        samples: { canary: c.traffic.count, control: k.traffic.count, ticks: n },
      };
    }
    const c = this.window(a.probe, 'canary');
    const k = this.window(a.probe, 'control');
    if (!c || !k) return undefined;
    const test = this.sequential.get(a.text)!;
    let counts: { canary: number; control: number };
    let threshold: number | undefined;
    if (a.signal === 'errors') counts = { canary: c.errors.count, control: k.errors.count };
    else {
      threshold = this.slowThreshold(a.probe);
      if (threshold === undefined) return undefined;
      counts = { canary: this.slowCount(a.probe, 'canary', threshold), control: this.slowCount(a.probe, 'control', threshold) };
    }
    const r = test.update({ ...counts, canaryTraffic: c.traffic.count, controlTraffic: k.traffic.count });
    return {
      ...base, cohort: 'canary', outcome: r.reject ? 'fail' : 'pass',
      expected: a.signal === 'errors' ? "canary's share of errors no larger than its share of traffic" : `canary's share of requests slower than ${round(threshold!)}ms (before-phase p99) no larger than its share of traffic`,
      observed: a.signal === 'errors' ? { canaryErrors: counts.canary, controlErrors: counts.control } : { canarySlow: counts.canary, controlSlow: counts.control },
      test: 'mixture sequential probability ratio test (always valid)',
      statistic: r.statistic, samples: { canary: c.traffic.count, control: k.traffic.count, looks: r.looks },
      reason: `likelihood ratio ${round(r.statistic)} vs threshold ${round(r.threshold)} (1/alpha, alpha ${a.alpha})`,
    };
  }
}
