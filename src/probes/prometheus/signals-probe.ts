import type { Logger } from 'pino';
import { FirebreakError } from '../../errors.js';
import type { IssueSink } from '../../experiment/issues.js';
import { silentLogger } from '../../log.js';
import { HdrLatencyHistogram } from '../../signals/histogram.js';
import { COHORTS, type CohortInterval, type CohortName, type IntervalByCohort, type SignalSource } from '../../signals/types.js';
import { readDuration } from '../../drivers/core/attrs.js';
import type { SignalProbeType } from '../types.js';
import { PROMETHEUS_COMMON_ATTRS, readHeaders, readPromUrl, readTimeout } from './attrs.js';
import { rejectUnknown } from '../../drivers/core/attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';
import { queryInstant, sampleValue, type PromData, type PromEndpoint } from './client.js';

/** PromQL per golden signal; any may be omitted. `$window` / `${window}` is the collection window. */
export interface CohortQueries {
  /** 99th percentile latency, in `latencyUnit` (seconds for `*_seconds_bucket` histograms). */
  latencyP99?: string;
  /** Requests per second. */
  requestRate?: string;
  /** Failed requests per second. */
  errorRate?: string;
  /** Fraction 0..1 of requests that failed (an alternative to errorRate). */
  errorRatio?: string;
  /** 0..1, the most constrained resource. */
  saturation?: string;
}

export interface PrometheusSignalsAttrs {
  url: string;
  queries: Partial<Record<CohortName, CohortQueries>>;
  latencyUnit: 's' | 'ms';
  /** Shortest window substituted for `$window` (rate() needs a few scrapes to say anything). */
  minWindowMs: number;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const ATTRS: readonly AttributeDoc[] = [
  PROMETHEUS_COMMON_ATTRS[0]!,
  { name: 'queries', kind: 'object', required: true, summary: 'Per cohort (canary, control, all), PromQL per signal: latencyP99, requestRate, errorRate or errorRatio, saturation; $window is the window length.' },
  { name: 'latencyUnit', kind: 'enum', values: ['s', 'ms'], default: 's', summary: 'The unit the latency queries answer in.' },
  { name: 'minWindow', kind: 'duration', default: '30s', summary: 'The shortest window put in $window (rate() needs a few scrapes to say anything).' },
  ...PROMETHEUS_COMMON_ATTRS.slice(1),
];
const SIGNALS: readonly (keyof CohortQueries)[] = ['latencyP99', 'requestRate', 'errorRate', 'errorRatio', 'saturation'];
const DEFAULT_MIN_WINDOW_MS = 30_000;
const WINDOW = /\$\{window\}|\$window\b/g;

export function parsePrometheusSignalsAttrs(attrs: Record<string, unknown>, issues: IssueSink): PrometheusSignalsAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, ATTRS, issues);
  const url = readPromUrl(attrs, issues);
  const queries = parseQueries(attrs.queries, issues.at('queries'));
  const unit = attrs.latencyUnit ?? 's';
  if (unit !== 's' && unit !== 'ms') issues.add('latencyUnit', `must be "s" or "ms", got ${JSON.stringify(attrs.latencyUnit)}`);
  const minWindowMs = readDuration(attrs, 'minWindow', issues, DEFAULT_MIN_WINDOW_MS);
  if (minWindowMs !== undefined && minWindowMs < 1000) issues.add('minWindow', `must be at least 1s, got ${JSON.stringify(attrs.minWindow)}`);
  const headers = readHeaders(attrs, issues);
  const timeoutMs = readTimeout(attrs, issues);
  if (issues.count > before) return undefined;
  return {
    url: url!,
    queries: queries!,
    latencyUnit: unit as 's' | 'ms',
    minWindowMs: minWindowMs!,
    ...(headers ? { headers } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
}

function parseQueries(value: unknown, issues: IssueSink): PrometheusSignalsAttrs['queries'] | undefined {
  const expected = '{ canary: { latencyP99?, requestRate?, errorRate?, errorRatio?, saturation? }, control: {...} }';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add('', value === undefined ? 'is required' : 'must be a mapping of cohorts to queries', expected);
    return undefined;
  }
  const out: PrometheusSignalsAttrs['queries'] = {};
  const before = issues.count;
  for (const [cohort, q] of Object.entries(value)) {
    if (!COHORTS.includes(cohort as CohortName)) {
      issues.add(cohort, `unknown cohort "${cohort}"`, COHORTS.join(', '));
      continue;
    }
    if (q === null || typeof q !== 'object' || Array.isArray(q)) {
      issues.add(cohort, 'must be a mapping of signals to PromQL', expected);
      continue;
    }
    const cq: CohortQueries = {};
    for (const [signal, text] of Object.entries(q as Record<string, unknown>)) {
      if (!SIGNALS.includes(signal as keyof CohortQueries)) issues.add(`${cohort}.${signal}`, `unknown signal "${signal}"`, SIGNALS.join(', '));
      else if (typeof text !== 'string' || !text.trim()) issues.add(`${cohort}.${signal}`, `must be a PromQL string, got ${JSON.stringify(text)}`);
      else cq[signal as keyof CohortQueries] = text.trim();
    }
    if (cq.errorRate && cq.errorRatio) issues.add(`${cohort}.errorRatio`, 'give errorRate (errors per second) or errorRatio (a fraction), not both');
    if ((cq.errorRate || cq.errorRatio) && !cq.requestRate) issues.add(`${cohort}.requestRate`, 'is required with errorRate or errorRatio (errors are counted out of requests)');
    if (Object.keys(cq).length === 0) issues.add(cohort, 'names no query', SIGNALS.join(', '));
    out[cohort as CohortName] = cq;
  }
  if (Object.keys(value).length === 0) issues.add('', 'names no cohort', expected);
  return issues.count > before ? undefined : out;
}

/** The PromQL duration for `$window`: the time since the last collection, at least `minMs`, whole seconds. */
export function windowText(elapsedMs: number, minMs: number): string {
  return `${Math.ceil(Math.max(elapsedMs, minMs) / 1000)}s`;
}

export function withWindow(query: string, window: string): string {
  return query.replace(WINDOW, window);
}

/**
 * Golden signals per cohort from Prometheus, evaluated at each collection.
 *
 * Limitation: Prometheus answers percentiles and rates, not raw samples. Each interval therefore holds
 * the queried p99 as one recorded value in `latencyOk` (so a window's "percentiles" are percentiles of
 * per-interval p99s, and latencyFailed stays empty), and `requests`/`errors` are rate x interval
 * seconds, rounded. Queries over `$window` smooth over that window, which may be longer than the
 * interval (at least `minWindow`), so consecutive intervals are not independent samples.
 */
export class PrometheusSignalsSource implements SignalSource {
  readonly name: string;
  private logger: Logger;
  private signal: AbortSignal | undefined;
  private last = Date.now();
  private readonly ep: PromEndpoint;

  constructor(private readonly attrs: PrometheusSignalsAttrs, opts: { name?: string; logger?: Logger; timeoutMs?: number } = {}) {
    this.name = opts.name ?? 'prometheus.signals';
    this.logger = opts.logger ?? silentLogger();
    this.ep = { url: attrs.url, timeoutMs: attrs.timeoutMs ?? opts.timeoutMs ?? 10_000, ...(attrs.headers ? { headers: attrs.headers } : {}) };
  }

  async start(ctx: { signal: AbortSignal; logger: Logger }): Promise<void> {
    this.signal = ctx.signal;
    this.logger = ctx.logger;
    this.last = Date.now();
  }

  async collect(): Promise<IntervalByCohort> {
    const end = Date.now();
    const start = this.last;
    this.last = end;
    const seconds = Math.max(0, end - start) / 1000;
    const window = windowText(end - start, this.attrs.minWindowMs);
    const cohorts = Object.entries(this.attrs.queries) as [CohortName, CohortQueries][];
    const settled = await Promise.allSettled(cohorts.map(([, q]) => this.evaluate(q, window, end / 1000)));
    const out: IntervalByCohort = {};
    const failures: string[] = [];
    settled.forEach((r, i) => {
      const cohort = cohorts[i]![0];
      if (r.status === 'fulfilled') out[cohort] = toInterval(r.value, start, end, seconds, this.attrs.latencyUnit);
      else failures.push(`${cohort}: ${(r.reason as Error).message}`);
    });
    if (failures.length > 0) this.logger.warn({ probe: this.name, failures }, 'Prometheus queries failed; those cohorts have no interval this tick');
    if (failures.length === cohorts.length) {
      throw new FirebreakError('FIREBREAK_E_PROBE', `every Prometheus signal query failed: ${failures.join('; ')}`);
    }
    return out;
  }

  async stop(): Promise<void> {
    // Nothing runs between collections.
  }

  private async evaluate(q: CohortQueries, window: string, time: number): Promise<Partial<Record<keyof CohortQueries, number>>> {
    const keys = SIGNALS.filter((k) => q[k] !== undefined);
    const values = await Promise.all(keys.map((k) => queryInstant(this.ep, withWindow(q[k]!, window), time, this.signal)));
    const out: Partial<Record<keyof CohortQueries, number>> = {};
    keys.forEach((k, i) => {
      const v = reduce(values[i]!, k === 'requestRate' || k === 'errorRate' ? 'sum' : 'max');
      if (v !== undefined) out[k] = v;
    });
    return out;
  }
}

// Rates add up across series; percentiles, ratios and saturation take the worst series.
function reduce(data: PromData, how: 'sum' | 'max'): number | undefined {
  let values: number[];
  if (data.resultType === 'scalar') values = [sampleValue(data.result[1])];
  else if (data.resultType === 'vector') values = data.result.map((s) => sampleValue(s.value[1]));
  else if (data.resultType === 'matrix') values = data.result.map((s) => sampleValue(s.values.at(-1)?.[1] ?? 'NaN'));
  else return undefined;
  values = values.filter((v) => Number.isFinite(v));
  // An empty answer for a rate means no such requests; for the others it means no data.
  if (values.length === 0) return how === 'sum' ? 0 : undefined;
  return how === 'sum' ? values.reduce((s, v) => s + v, 0) : Math.max(...values);
}

function toInterval(
  v: Partial<Record<keyof CohortQueries, number>>,
  start: number,
  end: number,
  seconds: number,
  unit: 's' | 'ms',
): CohortInterval {
  const requests = Math.max(0, Math.round((v.requestRate ?? 0) * seconds));
  let errors = 0;
  if (v.errorRate !== undefined) errors = Math.round(Math.max(0, v.errorRate) * seconds);
  else if (v.errorRatio !== undefined) errors = Math.round(Math.min(1, Math.max(0, v.errorRatio)) * requests);
  const latencyOk = new HdrLatencyHistogram();
  if (v.latencyP99 !== undefined && v.latencyP99 >= 0) latencyOk.record(unit === 's' ? v.latencyP99 * 1000 : v.latencyP99);
  const interval: CohortInterval = {
    start,
    end,
    requests,
    errors: Math.min(errors, requests),
    latencyOk,
    latencyFailed: new HdrLatencyHistogram(),
  };
  if (v.saturation !== undefined) interval.saturation = Math.min(1, Math.max(0, v.saturation));
  return interval;
}

/** The passive golden-signal source: per-cohort PromQL evaluated every tick. */
export const prometheusSignalsProbe: SignalProbeType<PrometheusSignalsAttrs, unknown> = {
  kind: 'signals',
  type: 'prometheus.signals',
  driver: 'core',
  summary: 'Golden signals per cohort from PromQL queries (p99, request rate, error rate, saturation), every tick.',
  attributes: ATTRS,
  example: {
    url: 'http://127.0.0.1:9090',
    queries: {
      canary: { requestRate: 'sum(rate(http_requests_total{track="canary"}[$window]))', errorRatio: 'sum(rate(http_requests_total{track="canary",code=~"5.."}[$window])) / sum(rate(http_requests_total{track="canary"}[$window]))' },
      control: { requestRate: 'sum(rate(http_requests_total{track="control"}[$window]))', errorRatio: 'sum(rate(http_requests_total{track="control",code=~"5.."}[$window])) / sum(rate(http_requests_total{track="control"}[$window]))' },
    },
  },
  parse: parsePrometheusSignalsAttrs,
  source(ctx, attrs) {
    return new PrometheusSignalsSource(attrs, { logger: ctx.logger, timeoutMs: ctx.timeoutMs });
  },
  cohorts: (attrs) => Object.keys(attrs.queries) as CohortName[],
};
