import { describeError } from '../errors.js';
import { isAbortError, sleep, withTimeout } from '../util/abort.js';
import { mergeIntervals } from '../signals/window.js';
import { CohortSeries } from './series.js';
import type { CohortInterval, CohortName, SignalSource } from '../signals/types.js';
import type { SummarizeOptions } from '../signals/window.js';
import type { PhaseName, ProbeSpec } from '../experiment/model.js';
import type { ProbeContext, ProbeResult, SignalProbeType, ValueProbeType } from '../probes/types.js';
import type { RunContext } from './context.js';
import type { TickCohort } from './events.js';
import type { PhaseRecord } from './journal.js';

export type CohortKey = CohortName | 'all';
export type SeriesByCohort = Partial<Record<CohortKey, CohortSeries>>;

function probeContext(ctx: RunContext, spec: ProbeSpec, signal: AbortSignal): ProbeContext {
  const handle = ctx.drivers.get(spec.driver);
  return {
    signal,
    logger: ctx.logger.child({ probe: spec.name }),
    runId: ctx.runId,
    timeoutMs: ctx.experiment.phases.callTimeout,
    connection: handle?.connection,
    baseDir: ctx.experiment.baseDir,
    ...(ctx.targets ? { targets: { canary: ctx.targets.canary, control: ctx.targets.control } } : {}),
  };
}

/** How often a probe's collections failed in one phase, and the last reason. */
export interface CollectFailures {
  /** Collections attempted in the phase. */
  looks: number;
  /** Collections that failed outright (the source could not measure at all). */
  failed: number;
  /** Collections that answered without some cohorts it measures (per cohort). */
  missing: Partial<Record<CohortName, number>>;
  lastError?: string;
}

/**
 * Runs the signals probes for the whole experiment and files each tick's intervals under the phase
 * that was live when they were collected. A collection that fails is not a measurement of the system:
 * it is counted per phase, so the checks on that probe can say the tool could not measure.
 */
export class SignalHub {
  private readonly sources = new Map<string, SignalSource>();
  private readonly options = new Map<string, SummarizeOptions>();
  private readonly cohorts = new Map<string, readonly CohortName[]>();
  /** Sources whose last collect has not settled yet: never asked again until it has. */
  private readonly pending = new Set<string>();
  private readonly byPhase = new Map<PhaseName, Map<string, SeriesByCohort>>();
  private readonly failures = new Map<PhaseName, Map<string, CollectFailures>>();
  private started = false;

  constructor(private readonly ctx: RunContext) {
    const experiment = { traffic: Boolean(ctx.experiment.cohort.traffic), targets: Boolean(ctx.experiment.cohort.targets) };
    for (const spec of ctx.experiment.hypothesis.probes) {
      if (spec.kind !== 'signals') continue;
      const type = ctx.registry.probe(spec.type) as SignalProbeType;
      const { signal: _s, ...pctx } = probeContext(ctx, spec, new AbortController().signal);
      this.sources.set(spec.name, type.source(pctx, spec.attrs));
      this.options.set(spec.name, type.windowOptions?.(spec.attrs) ?? {});
      const cohorts = type.cohorts?.(spec.attrs, experiment);
      if (cohorts) this.cohorts.set(spec.name, cohorts);
    }
  }

  /** How a probe's windows are summarized (its lag bound and latency ceiling). */
  windowOptions(probe: string): SummarizeOptions {
    return this.options.get(probe) ?? {};
  }

  /** The cohorts a probe measures under this experiment, when the probe says. */
  cohortsOf(probe: string): readonly CohortName[] | undefined {
    return this.cohorts.get(probe);
  }

  /**
   * Starts a measurement window: what the sources measured before it is collected and dropped, and
   * sources that can tell (the load generator) leave requests sent earlier out of this window.
   */
  async beginWindow(): Promise<void> {
    await this.collect(undefined);
    for (const src of this.sources.values()) src.beginWindow?.();
  }

  /** Ends the current measurement window: sources that can tell stop counting new requests in it. */
  endWindow(): void {
    for (const src of this.sources.values()) src.endWindow?.();
  }

  /**
   * Drains a window that has ended: collects (folding what comes into the window's last interval)
   * until the sources that can tell have no request of it in flight, or their drain time or `signal`
   * ends the wait. Requests still in flight after that are the window's outstanding ones.
   */
  async drain(phase: PhaseName, signal: AbortSignal): Promise<void> {
    const draining = [...this.sources].filter(([, s]) => s.endWindow && s.drainMs !== undefined);
    if (!this.started || draining.length === 0) return;
    const until = performance.now() + Math.min(this.ctx.experiment.phases.phaseGrace, Math.max(...draining.map(([, s]) => s.drainMs!)));
    for (;;) {
      await this.collect(phase, { absorb: true, only: new Set(draining.map(([name]) => name)) });
      const left = draining.reduce((n, [name]) => n + (this.outstandingOf(phase, name) ?? 0), 0);
      if (left === 0 || performance.now() >= until || signal.aborted) return;
      await sleep(Math.min(50, until - performance.now()), signal).catch(() => undefined);
    }
  }

  private outstandingOf(phase: PhaseName, probe: string): number | undefined {
    return this.byPhase.get(phase)?.get(probe)?.all?.latestOutstanding()?.count;
  }

  /** Collection failures of each probe in a phase. */
  failuresIn(phase: PhaseName): ReadonlyMap<string, CollectFailures> {
    return this.failures.get(phase) ?? new Map();
  }

  get size(): number {
    return this.sources.size;
  }

  /** Starts every source, then lets them warm up (what they measure meanwhile counts nowhere). */
  async start(signal: AbortSignal): Promise<void> {
    for (const [name, src] of this.sources) {
      await withTimeout(`starting probe ${name}`, this.ctx.experiment.phases.callTimeout, (s) => src.start({ signal: s, logger: this.ctx.logger.child({ probe: name }) }), signal);
    }
    this.started = true;
    const warmup = Math.max(0, ...[...this.sources.values()].map((s) => s.warmupMs ?? 0));
    if (warmup > 0) {
      this.ctx.events.emitEvent('phase-started', { phase: 'warmup', durationMs: warmup, at: Date.now() });
      await sleep(warmup, signal).catch(() => undefined);
      this.ctx.events.emitEvent('phase-ended', { phase: 'warmup', at: Date.now() });
    }
  }

  /**
   * Collects every source once and files the intervals under `phase` (undefined: discarded); with
   * `absorb`, into the phase's latest intervals (a window being drained).
   */
  async collect(phase: PhaseName | undefined, opts: { absorb?: boolean; only?: ReadonlySet<string> } = {}): Promise<Record<string, Partial<Record<CohortKey, TickCohort>>>> {
    const live: Record<string, Partial<Record<CohortKey, TickCohort>>> = {};
    if (!this.started) return live;
    await Promise.all(
      [...this.sources].filter(([name]) => !opts.only || opts.only.has(name)).map(async ([name, src]) => {
        const tally = phase && !opts.absorb ? this.failureTally(phase, name) : undefined;
        if (tally) tally.looks++;
        if (this.pending.has(name)) {
          if (tally) {
            tally.failed++;
            tally.lastError = 'the previous collection had not answered yet';
          }
          return;
        }
        let got: Partial<Record<CohortName, CohortInterval>>;
        const call = src.collect();
        this.pending.add(name);
        void call.finally(() => this.pending.delete(name)).catch(() => undefined);
        try {
          got = await withTimeout(`collecting probe ${name}`, this.ctx.experiment.phases.callTimeout, () => call);
        } catch (err) {
          const message = describeError(err).message;
          this.ctx.logger.warn({ probe: name, phase, err: message }, 'collect failed');
          if (tally) {
            tally.failed++;
            tally.lastError = message;
          }
          return;
        }
        const entries = Object.entries(got) as [CohortName, CohortInterval][];
        if (tally) {
          for (const c of this.cohorts.get(name) ?? []) if (!got[c]) tally.missing[c] = (tally.missing[c] ?? 0) + 1;
        }
        if (entries.length === 0) return;
        const all = entries.map(([, i]) => i).reduce((a, b) => mergeIntervals(a, b));
        const withAll: [CohortKey, CohortInterval][] = [...entries, ['all', all]];
        live[name] = {};
        for (const [cohort, interval] of withAll) live[name][cohort] = tickOf(interval);
        if (!phase) return;
        let phaseMap = this.byPhase.get(phase);
        if (!phaseMap) this.byPhase.set(phase, (phaseMap = new Map()));
        const store = phaseMap.get(name) ?? {};
        for (const [cohort, interval] of withAll) {
          const series = (store[cohort] ??= new CohortSeries(this.options.get(name)));
          if (opts.absorb) series.absorb(interval);
          else series.add(interval);
        }
        phaseMap.set(name, store);
      }),
    );
    return live;
  }

  /** What one probe measured for one cohort in one phase so far. */
  series(phase: PhaseName, probe: string, cohort: CohortKey): CohortSeries | undefined {
    return this.byPhase.get(phase)?.get(probe)?.[cohort];
  }

  summarize(phase: PhaseName, start: number, end: number): PhaseRecord['signals'] {
    const out: PhaseRecord['signals'] = {};
    for (const [probe, store] of this.byPhase.get(phase) ?? []) {
      out[probe] = {};
      for (const [cohort, series] of Object.entries(store) as [CohortKey, CohortSeries][]) {
        const w = series.summarize(cohort, start, end);
        if (w) out[probe][cohort] = w;
      }
    }
    return out;
  }

  private failureTally(phase: PhaseName, probe: string): CollectFailures {
    let byProbe = this.failures.get(phase);
    if (!byProbe) this.failures.set(phase, (byProbe = new Map()));
    let t = byProbe.get(probe);
    if (!t) byProbe.set(probe, (t = { looks: 0, failed: 0, missing: {} }));
    return t;
  }

  async stop(): Promise<void> {
    for (const [name, src] of this.sources) {
      try {
        await withTimeout(`stopping probe ${name}`, this.ctx.experiment.phases.callTimeout, () => src.stop());
      } catch (err) {
        this.ctx.logger.warn({ probe: name, err: describeError(err).message }, 'stopping a probe failed');
      }
    }
  }
}

function tickOf(i: CohortInterval): TickCohort {
  const seconds = Math.max(1e-3, (i.end - i.start) / 1000);
  return {
    requests: i.requests,
    errors: i.errors,
    rate: i.requests / seconds,
    errorRate: i.requests ? i.errors / i.requests : 0,
    latency: i.latencyOk.summary(),
    ...(i.saturation !== undefined ? { saturation: i.saturation } : {}),
    ...(i.outstanding !== undefined ? { outstanding: i.outstanding, overdue: i.overdue ?? 0 } : {}),
    ...(i.droppedSends ? { dropped: i.droppedSends } : {}),
  };
}

/** Runs one value probe; a failure becomes a result with status `error`, never an exception. */
export async function runValueProbe(ctx: RunContext, spec: ProbeSpec, signal: AbortSignal): Promise<ProbeResult> {
  const type = ctx.registry.probe(spec.type) as ValueProbeType;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  try {
    const value = await withTimeout(`probe ${spec.name}`, ctx.experiment.phases.callTimeout, (s) => type.run(probeContext(ctx, spec, s), spec.attrs), signal);
    return { status: 'ok', value, startedAt, durationMs: Math.round(performance.now() - t0) };
  } catch (err) {
    const e = describeError(err);
    return {
      status: 'error',
      error: e,
      ...(e.code === 'FIREBREAK_E_TIMEOUT' ? { timedOut: true } : {}),
      ...(isAbortError(err) || signal.aborted ? { canceled: true } : {}),
      startedAt,
      durationMs: Math.round(performance.now() - t0),
    };
  }
}

export async function runValueProbes(ctx: RunContext, phase: PhaseName, signal: AbortSignal): Promise<Record<string, ProbeResult>> {
  const out: Record<string, ProbeResult> = {};
  for (const spec of ctx.experiment.hypothesis.probes) {
    if (spec.kind !== 'value' || !spec.phases.includes(phase)) continue;
    out[spec.name] = await runValueProbe(ctx, spec, signal);
    ctx.events.emitEvent('probe-result', { phase, probe: spec.name, result: out[spec.name]! });
  }
  return out;
}
