import type { IssueSink } from '../../experiment/issues.js';
import { parseDuration } from '../../util/duration.js';
import type { ValueProbeType } from '../types.js';
import { PROMETHEUS_COMMON_ATTRS, parseTimeSpec, readHeaders, readPromUrl, readTimeout, resolveTime, type TimeSpec } from './attrs.js';
import { rejectUnknown } from '../../drivers/core/attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';
import { queryInstant, queryRange, sampleValue, type PromData, type PromLabels } from './client.js';

export interface PrometheusQueryAttrs {
  url: string;
  query: string;
  at?: TimeSpec;
  range?: { start: TimeSpec; end: TimeSpec; stepMs: number };
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * What the probe answers. `value` is the first series' value (its last point for a range query), a
 * scalar's value, or null for an empty vector; `series` keeps every series with its labels.
 * NaN and infinities are kept as numbers (they become null in JSON).
 */
export interface PrometheusQueryValue {
  resultType: PromData['resultType'];
  value: number | string | null;
  series: { metric: PromLabels; value: number | null; values?: [number, number][] }[];
}

const RANGE_FIELDS: readonly AttributeDoc[] = [
  { name: 'start', kind: 'time', required: true, summary: 'The start of the range, e.g. now-5m.' },
  { name: 'end', kind: 'time', default: 'now', summary: 'The end of the range.' },
  { name: 'step', kind: 'duration', required: true, summary: 'The resolution (at most 11,000 points per series).' },
];
const ATTRS: readonly AttributeDoc[] = [
  PROMETHEUS_COMMON_ATTRS[0]!,
  { name: 'query', kind: 'string', required: true, summary: 'The PromQL expression.' },
  { name: 'at', kind: 'time', default: 'now', summary: 'The time of an instant query.' },
  { name: 'range', kind: 'object', fields: RANGE_FIELDS, summary: 'Makes it a range query (instead of at).' },
  ...PROMETHEUS_COMMON_ATTRS.slice(1),
];
// Prometheus refuses range queries of more than 11,000 points per series.
const MAX_POINTS = 11_000;

export function parsePrometheusQueryAttrs(attrs: Record<string, unknown>, issues: IssueSink): PrometheusQueryAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, ATTRS, issues);
  const url = readPromUrl(attrs, issues);
  const query = attrs.query;
  if (typeof query !== 'string' || !query.trim()) issues.add('query', query === undefined ? 'is required' : `must be a PromQL string, got ${JSON.stringify(query)}`, 'a PromQL expression');
  const at = attrs.at === undefined ? undefined : parseTimeSpec(attrs.at, 'at', issues);
  let range: PrometheusQueryAttrs['range'];
  if (attrs.range !== undefined) {
    if (attrs.at !== undefined) issues.add('at', 'cannot be combined with range: an instant query has "at", a range query has "range"');
    range = parseRange(attrs.range, issues.at('range'));
  }
  const headers = readHeaders(attrs, issues);
  const timeoutMs = readTimeout(attrs, issues);
  if (issues.count > before) return undefined;
  return {
    url: url!,
    query: (query as string).trim(),
    ...(at ? { at } : {}),
    ...(range ? { range } : {}),
    ...(headers ? { headers } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
}

function parseRange(value: unknown, issues: IssueSink): PrometheusQueryAttrs['range'] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add('', 'must be a mapping', '{ start, end, step }');
    return undefined;
  }
  const r = value as Record<string, unknown>;
  rejectUnknown(r, RANGE_FIELDS, issues);
  const start = r.start === undefined ? missing(issues, 'start') : parseTimeSpec(r.start, 'start', issues);
  const end = r.end === undefined ? ({ offsetMs: 0 } as TimeSpec) : parseTimeSpec(r.end, 'end', issues);
  const stepMs = r.step === undefined ? undefined : parseDuration(r.step);
  if (r.step === undefined) issues.add('step', 'is required', 'a duration like 15s');
  else if (stepMs === undefined || stepMs < 1) issues.add('step', `is not a duration of at least 1ms: ${JSON.stringify(r.step)}`, 'a duration like 15s');
  if (!start || !end || stepMs === undefined || stepMs < 1) return undefined;
  const now = Date.now();
  const span = (resolveTime(end, now) - resolveTime(start, now)) * 1000;
  if (span < 0) {
    issues.add('', 'start is after end');
    return undefined;
  }
  if (span / stepMs > MAX_POINTS) {
    issues.add('step', `gives ${Math.ceil(span / stepMs)} points per series; Prometheus accepts at most ${MAX_POINTS}`, 'a longer step');
    return undefined;
  }
  return { start, end, stepMs };
}

function missing(issues: IssueSink, key: string): undefined {
  issues.add(key, 'is required', 'unix seconds, an RFC 3339 time, or "now-5m"');
  return undefined;
}

/** Converts the API's answer into numbers, keeping every series' labels. */
export function toQueryValue(data: PromData): PrometheusQueryValue {
  switch (data.resultType) {
    case 'scalar': {
      const v = sampleValue(data.result[1]);
      return { resultType: 'scalar', value: v, series: [{ metric: {}, value: v }] };
    }
    case 'string':
      return { resultType: 'string', value: data.result[1], series: [] };
    case 'vector': {
      const series = data.result.map((s) => ({ metric: s.metric ?? {}, value: sampleValue(s.value[1]) }));
      return { resultType: 'vector', value: series[0]?.value ?? null, series };
    }
    case 'matrix': {
      const series = data.result.map((s) => {
        const values = s.values.map(([t, v]) => [t, sampleValue(v)] as [number, number]);
        return { metric: s.metric ?? {}, value: values.at(-1)?.[1] ?? null, values };
      });
      return { resultType: 'matrix', value: series[0]?.value ?? null, series };
    }
  }
}

/** A value probe: one PromQL query, instant (`at`) or over a range, against the Prometheus HTTP API. */
export const prometheusProbe: ValueProbeType<PrometheusQueryAttrs, unknown> = {
  kind: 'value',
  type: 'prometheus',
  driver: 'core',
  summary: 'Evaluates a PromQL query (instant or range) and answers its value and series.',
  attributes: ATTRS,
  example: { url: 'http://127.0.0.1:9090', query: 'sum(rate(http_requests_total{job="checkout",code=~"5.."}[1m]))' },
  parse: parsePrometheusQueryAttrs,
  async run(ctx, attrs) {
    const ep = { url: attrs.url, timeoutMs: attrs.timeoutMs ?? ctx.timeoutMs, ...(attrs.headers ? { headers: attrs.headers } : {}) };
    const now = Date.now();
    const data = attrs.range
      ? await queryRange(
          ep,
          attrs.query,
          { start: resolveTime(attrs.range.start, now), end: resolveTime(attrs.range.end, now), step: attrs.range.stepMs / 1000 },
          ctx.signal,
        )
      : await queryInstant(ep, attrs.query, attrs.at ? resolveTime(attrs.at, now) : undefined, ctx.signal);
    return toQueryValue(data);
  },
};
