import type { Logger } from 'pino';
import type { IssueSink } from '../../experiment/issues.js';
import { readDuration } from '../../drivers/core/attrs.js';
import { HdrLatencyHistogram } from '../../signals/histogram.js';
import { COHORTS, type CohortName, type IntervalByCohort, type SignalSource } from '../../signals/types.js';
import { sleep } from '../../util/abort.js';
import type { SignalProbeType, ValueProbeType } from '../types.js';
import { HOST_RESOURCES, HostMeter, type HostResource, type HostSample } from './host-meter.js';

export interface HostSaturationAttrs {
  /** Cohorts whose intervals carry the host's saturation (the host serves them all). */
  cohorts: CohortName[];
  include: HostResource[];
}

export interface HostSampleAttrs {
  include: HostResource[];
  sampleMs: number;
}

const ENVELOPE = ['name', 'type', 'description', 'driver'];

function readInclude(value: unknown, issues: IssueSink): HostResource[] | undefined {
  if (value === undefined) return [...HOST_RESOURCES];
  if (!Array.isArray(value) || value.length === 0 || !value.every((r) => HOST_RESOURCES.includes(r as HostResource))) {
    issues.add('include', `must be a non-empty list of resources, got ${JSON.stringify(value)}`, HOST_RESOURCES.join(', '));
    return undefined;
  }
  return [...new Set(value as HostResource[])];
}

function rejectUnknown(attrs: Record<string, unknown>, known: string[], issues: IssueSink): void {
  for (const k of Object.keys(attrs)) {
    if (!known.includes(k) && !ENVELOPE.includes(k)) issues.add(k, `unknown attribute "${k}"`, `one of ${known.join(', ')}`);
  }
}

export function parseHostSaturationAttrs(attrs: Record<string, unknown>, issues: IssueSink): HostSaturationAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, ['cohorts', 'include'], issues);
  let cohorts: CohortName[] = ['canary', 'control'];
  if (attrs.cohorts !== undefined) {
    const v = attrs.cohorts;
    if (!Array.isArray(v) || v.length === 0 || !v.every((c) => COHORTS.includes(c as CohortName))) {
      issues.add('cohorts', `must be a non-empty list of cohorts, got ${JSON.stringify(v)}`, COHORTS.join(', '));
    } else cohorts = [...new Set(v as CohortName[])];
  }
  const include = readInclude(attrs.include, issues);
  return issues.count > before ? undefined : { cohorts, include: include! };
}

export function parseHostSampleAttrs(attrs: Record<string, unknown>, issues: IssueSink): HostSampleAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, ['include', 'sample'], issues);
  const include = readInclude(attrs.include, issues);
  const sampleMs = readDuration(attrs, 'sample', issues, 1000);
  if (sampleMs !== undefined && (sampleMs < 10 || sampleMs > 60_000)) issues.add('sample', `must be between 10ms and 1m, got ${JSON.stringify(attrs.sample)}`);
  return issues.count > before ? undefined : { include: include!, sampleMs: sampleMs! };
}

/**
 * Saturation of the host firebreak runs on (CPU, this process's CPU, memory, event loop), the largest
 * fraction reported as every listed cohort's interval saturation. Useful when the system under test
 * shares the host (local demos, single-box staging); it says nothing of remote hosts.
 */
export class HostSaturationSource implements SignalSource {
  readonly name: string;
  private meter: HostMeter;
  private last = Date.now();
  private lastSample: HostSample | undefined;

  constructor(private readonly attrs: HostSaturationAttrs, opts: { name?: string } = {}) {
    this.name = opts.name ?? 'saturation.host';
    this.meter = new HostMeter(attrs.include);
  }

  async start(_ctx: { signal: AbortSignal; logger: Logger }): Promise<void> {
    this.meter = new HostMeter(this.attrs.include);
    this.last = Date.now();
  }

  async collect(): Promise<IntervalByCohort> {
    const end = Date.now();
    const sample = this.meter.sample();
    this.lastSample = sample;
    const out: IntervalByCohort = {};
    for (const cohort of this.attrs.cohorts) {
      out[cohort] = {
        start: this.last,
        end,
        requests: 0,
        errors: 0,
        latencyOk: new HdrLatencyHistogram(),
        latencyFailed: new HdrLatencyHistogram(),
        saturation: sample.saturation,
      };
    }
    this.last = end;
    return out;
  }

  /** The breakdown behind the last collected saturation (which resource, how full). */
  latest(): HostSample | undefined {
    return this.lastSample;
  }

  async stop(): Promise<void> {
    // Nothing to release: sampling happens inside collect().
  }
}

export const hostSaturationProbe: SignalProbeType<HostSaturationAttrs, unknown> = {
  kind: 'signals',
  type: 'saturation.host',
  driver: 'core',
  summary: 'Saturation of the local host: max of CPU, process CPU, memory and event-loop utilization, every tick.',
  parse: parseHostSaturationAttrs,
  source(_ctx, attrs) {
    return new HostSaturationSource(attrs);
  },
  cohorts: (attrs) => attrs.cohorts,
};

/** The same measurement answered once: host load over a short sample. */
export const hostSaturationSampleProbe: ValueProbeType<HostSampleAttrs, unknown> = {
  kind: 'value',
  type: 'saturation.host.sample',
  driver: 'core',
  summary: 'Samples the local host for a moment and answers cpu, processCpu, memory, eventLoop and saturation (0..1).',
  parse: parseHostSampleAttrs,
  async run(ctx, attrs) {
    const meter = new HostMeter(attrs.include);
    await sleep(attrs.sampleMs, ctx.signal);
    return meter.sample();
  },
};
