import { describeError } from '../errors.js';
import { isAbortError, withTimeout } from '../util/abort.js';
import { mergeIntervals } from '../signals/window.js';
import { CohortSeries } from './series.js';
import type { CohortInterval, CohortName, SignalSource } from '../signals/types.js';
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

/**
 * Runs the signals probes for the whole experiment and files each tick's intervals under the phase
 * that was live when they were collected.
 */
export class SignalHub {
  private readonly sources = new Map<string, SignalSource>();
  /** Sources whose last collect has not settled yet: never asked again until it has. */
  private readonly pending = new Set<string>();
  private readonly byPhase = new Map<PhaseName, Map<string, SeriesByCohort>>();
  private started = false;

  constructor(private readonly ctx: RunContext) {
    for (const spec of ctx.experiment.hypothesis.probes) {
      if (spec.kind !== 'signals') continue;
      const type = ctx.registry.probe(spec.type) as SignalProbeType;
      const { signal: _s, ...pctx } = probeContext(ctx, spec, new AbortController().signal);
      this.sources.set(spec.name, type.source(pctx, spec.attrs));
    }
  }

  get size(): number {
    return this.sources.size;
  }

  async start(signal: AbortSignal): Promise<void> {
    for (const [name, src] of this.sources) {
      await withTimeout(`starting probe ${name}`, this.ctx.experiment.phases.callTimeout, (s) => src.start({ signal: s, logger: this.ctx.logger.child({ probe: name }) }), signal);
    }
    this.started = true;
  }

  /** Collects every source once and files the intervals under `phase` (undefined: discarded). */
  async collect(phase: PhaseName | undefined): Promise<Record<string, Partial<Record<CohortKey, TickCohort>>>> {
    const live: Record<string, Partial<Record<CohortKey, TickCohort>>> = {};
    if (!this.started) return live;
    await Promise.all(
      [...this.sources].map(async ([name, src]) => {
        if (this.pending.has(name)) return;
        let got: Partial<Record<CohortName, CohortInterval>>;
        const call = src.collect();
        this.pending.add(name);
        void call.finally(() => this.pending.delete(name)).catch(() => undefined);
        try {
          got = await withTimeout(`collecting probe ${name}`, this.ctx.experiment.phases.callTimeout, () => call);
        } catch (err) {
          this.ctx.logger.warn({ probe: name, err: describeError(err).message }, 'collect failed');
          return;
        }
        const entries = Object.entries(got) as [CohortName, CohortInterval][];
        if (entries.length === 0) return;
        const all = entries.map(([, i]) => i).reduce((a, b) => mergeIntervals(a, b));
        const withAll: [CohortKey, CohortInterval][] = [...entries, ['all', all]];
        live[name] = {};
        for (const [cohort, interval] of withAll) live[name][cohort] = tickOf(interval);
        if (!phase) return;
        let phaseMap = this.byPhase.get(phase);
        if (!phaseMap) this.byPhase.set(phase, (phaseMap = new Map()));
        const store = phaseMap.get(name) ?? {};
        for (const [cohort, interval] of withAll) (store[cohort] ??= new CohortSeries()).add(interval);
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
      const attrs = this.ctx.experiment.hypothesis.probes.find((p) => p.name === probe)?.attrs as { maxLagMs?: number } | undefined;
      const opts = typeof attrs?.maxLagMs === 'number' ? { maxLagMs: attrs.maxLagMs } : {};
      for (const [cohort, series] of Object.entries(store) as [CohortKey, CohortSeries][]) {
        const w = series.summarize(cohort, start, end, opts);
        if (w) out[probe][cohort] = w;
      }
    }
    return out;
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
