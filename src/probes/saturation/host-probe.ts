import type { Logger } from 'pino';
import type { IssueSink } from '../../experiment/issues.js';
import { readDuration, rejectUnknown } from '../../drivers/core/attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';
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

function readInclude(value: unknown, issues: IssueSink): HostResource[] | undefined {
  if (value === undefined) return [...HOST_RESOURCES];
  if (!Array.isArray(value) || value.length === 0 || !value.every((r) => HOST_RESOURCES.includes(r as HostResource))) {
    issues.add('include', `must be a non-empty list of resources, got ${JSON.stringify(value)}`, HOST_RESOURCES.join(', '));
    return undefined;
  }
  return [...new Set(value as HostResource[])];
}

const INCLUDE: AttributeDoc = { name: 'include', kind: 'list', items: 'enum', values: HOST_RESOURCES, default: HOST_RESOURCES.join(', '), summary: 'What counts: host CPU, this process\'s CPU, host memory in use, event-loop utilization; saturation is the largest.' };
const HOST_ATTRS: readonly AttributeDoc[] = [
  { name: 'cohorts', kind: 'list', items: 'enum', values: COHORTS, default: 'canary, control', summary: 'The cohorts the host\'s saturation is reported for (one host serves them all).' },
  INCLUDE,
];
const SAMPLE_ATTRS: readonly AttributeDoc[] = [INCLUDE, { name: 'sample', kind: 'duration', default: '1s', summary: 'How long it samples, between 10ms and 1m.' }];

export function parseHostSaturationAttrs(attrs: Record<string, unknown>, issues: IssueSink): HostSaturationAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, HOST_ATTRS, issues);
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
  rejectUnknown(attrs, SAMPLE_ATTRS, issues);
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
  attributes: HOST_ATTRS,
  example: { cohorts: ['canary', 'control'], include: ['cpu', 'memory'] },
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
  attributes: SAMPLE_ATTRS,
  example: { sample: '500ms' },
  parse: parseHostSampleAttrs,
  async run(ctx, attrs) {
    const meter = new HostMeter(attrs.include);
    await sleep(attrs.sampleMs, ctx.signal);
    return meter.sample();
  },
};
