import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { describeError } from '../../../errors.js';
import type { Target } from '../../../faults/types.js';
import type { ProbeContext, SignalProbeType } from '../../../probes/types.js';
import { createHistogram } from '../../../signals/histogram.js';
import type { IntervalByCohort, SignalSource } from '../../../signals/types.js';
import { readString, rejectUnknown } from '../../core/attrs.js';
import { engineCall, isNotFound, type DockerConnection } from '../client.js';
import { short } from '../containers.js';
import { clamp01, cpuSample, cpusAllowed, cpusUsed, memoryFraction, type CpuSample } from './stats.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';

export type SaturationResource = 'cpu' | 'memory' | 'max';
export type SaturationAggregate = 'max' | 'mean';

export interface SaturationAttrs {
  /** Which resource counts: CPU against its limit, memory against its limit, or the more constrained. */
  resource: SaturationResource;
  /** How a cohort's containers combine: the most saturated one (default) or the mean. */
  aggregate: SaturationAggregate;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'resource', kind: 'enum', values: ['cpu', 'memory', 'max'], default: 'max', summary: 'What counts: CPU against its limit, memory against its limit, or the more constrained.' },
  { name: 'aggregate', kind: 'enum', values: ['max', 'mean'], default: 'max', summary: "How a cohort's containers combine: the most saturated one, or the mean." },
];

/** Per-cohort saturation of the target containers from the engine's stats. */
export const dockerSaturationProbe: SignalProbeType<SaturationAttrs, DockerConnection> = {
  kind: 'signals',
  type: 'docker.saturation',
  driver: 'docker',
  summary: 'Saturation (0..1) of the canary and control containers: CPU against its limit, memory against its limit.',
  attributes: ATTRS,
  example: { resource: 'max', aggregate: 'max' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const resource = readString(attrs, 'resource', issues) ?? 'max';
    const aggregate = readString(attrs, 'aggregate', issues) ?? 'max';
    let ok = true;
    if (resource !== 'cpu' && resource !== 'memory' && resource !== 'max') {
      issues.add('resource', `must be cpu, memory or max, got ${JSON.stringify(resource)}`);
      ok = false;
    }
    if (aggregate !== 'max' && aggregate !== 'mean') {
      issues.add('aggregate', `must be max or mean, got ${JSON.stringify(aggregate)}`);
      ok = false;
    }
    return ok && issues.count === before ? { resource: resource as SaturationResource, aggregate: aggregate as SaturationAggregate } : undefined;
  },
  source(ctx, attrs) {
    return new DockerSaturationSource(ctx, attrs);
  },
  cohorts: (_attrs, experiment) => (experiment.targets ? COHORTS : []),
};

type Cohort = 'canary' | 'control';
const COHORTS: readonly Cohort[] = ['canary', 'control'];

/** Reads stats for every target at each collection; CPU is measured between collections. */
export class DockerSaturationSource implements SignalSource {
  readonly name = 'docker.saturation';
  private readonly previous = new Map<string, CpuSample>();
  private readonly stopper = new AbortController();
  private signal: AbortSignal = this.stopper.signal;
  private logger: Logger;
  private since = Date.now();

  constructor(
    private readonly ctx: Omit<ProbeContext<DockerConnection>, 'signal'>,
    private readonly attrs: SaturationAttrs,
  ) {
    this.logger = ctx.logger;
  }

  async start(run: { signal: AbortSignal; logger: Logger }): Promise<void> {
    this.signal = AbortSignal.any([run.signal, this.stopper.signal]);
    this.logger = run.logger;
    this.since = Date.now();
    // A first sample of every target, so the first interval has a CPU delta of its own.
    await this.readAll();
  }

  async collect(): Promise<IntervalByCohort> {
    const start = this.since;
    const readings = await this.readAll();
    const end = Date.now();
    this.since = end;
    const out: IntervalByCohort = {};
    for (const cohort of COHORTS) {
      const values = (this.ctx.targets?.[cohort] ?? []).map((t) => readings.get(t.id)).filter((v): v is number => v !== undefined);
      const saturation = values.length === 0 ? undefined : this.attrs.aggregate === 'mean' ? values.reduce((a, b) => a + b, 0) / values.length : Math.max(...values);
      out[cohort] = {
        start,
        end,
        requests: 0,
        errors: 0,
        latencyOk: createHistogram(),
        latencyFailed: createHistogram(),
        ...(saturation !== undefined ? { saturation } : {}),
      };
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.previous.clear();
  }

  private targets(): Target[] {
    const all = [...(this.ctx.targets?.canary ?? []), ...(this.ctx.targets?.control ?? [])];
    return all.filter((t) => t.driver === 'docker');
  }

  /** Saturation per container id; containers that are gone or stopped have none. */
  private async readAll(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const targets = this.targets();
    // A stats call mostly waits for the engine's once-a-second sampling: many can wait together.
    const limit = 32;
    for (let i = 0; i < targets.length; i += limit) {
      await Promise.all(
        targets.slice(i, i + limit).map(async (t) => {
          const v = await this.readOne(t);
          if (v !== undefined) out.set(t.id, v);
        }),
      );
    }
    return out;
  }

  private async readOne(target: Target): Promise<number | undefined> {
    const call = { signal: this.signal, timeoutMs: this.ctx.timeoutMs, connection: this.ctx.connection };
    const container = this.ctx.connection.docker.getContainer(target.id);
    const prev = this.previous.get(target.id);
    try {
      // With a previous sample of our own, precpu_stats is not needed: one-shot lets newer engines
      // answer without waiting for their next sample.
      const [stats, info] = await Promise.all([
        engineCall(call, `stats ${short(target.id)}`, (abortSignal) =>
          container.stats({ stream: false, ...(prev ? { 'one-shot': true } : {}), abortSignal } as { stream: false; 'one-shot'?: boolean }),
        ),
        this.attrs.resource === 'memory'
          ? Promise.resolve(undefined)
          : engineCall(call, `inspect ${short(target.id)}`, (abortSignal) => container.inspect({ abortSignal })),
      ]);
      return this.saturationOf(target.id, stats, info, prev);
    } catch (err) {
      if (this.signal.aborted) return undefined;
      if (!isNotFound(err)) this.logger.warn({ container: target.name, err: describeError(err) }, 'docker.saturation: no stats for this container');
      return undefined;
    }
  }

  private saturationOf(id: string, stats: Docker.ContainerStats, info: Docker.ContainerInspectInfo | undefined, prev: CpuSample | undefined): number | undefined {
    const now = cpuSample(stats.cpu_stats, Date.now());
    let cpu: number | undefined;
    if (now) {
      const base = prev ?? cpuSample(stats.precpu_stats, now.at - 1000);
      const used = base ? cpusUsed(base, now) : undefined;
      if (used !== undefined) cpu = clamp01(used / cpusAllowed(info?.HostConfig, now.onlineCpus));
      this.previous.set(id, now);
    } else {
      this.previous.delete(id);
    }
    const memory = memoryFraction(stats.memory_stats);
    if (this.attrs.resource === 'cpu') return cpu;
    if (this.attrs.resource === 'memory') return memory;
    if (cpu === undefined) return memory;
    if (memory === undefined) return cpu;
    return Math.max(cpu, memory);
  }
}
