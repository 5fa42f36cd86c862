import type { AttributeDoc } from '../../experiment/attributes.js';
import type { IssueSink } from '../../experiment/issues.js';
import { readDuration, readStringMap } from '../../drivers/core/attrs.js';
import { parseDuration } from '../../util/duration.js';

/** A point in time: absolute (unix seconds) or relative to when the probe runs (`now-5m`). */
export type TimeSpec = { abs: number } | { offsetMs: number };

const URL_EXPECTED = 'the http(s) base URL of a Prometheus API, e.g. http://127.0.0.1:9090';

/** What both Prometheus probes take: where the API is, how to reach it. */
export const PROMETHEUS_COMMON_ATTRS: readonly AttributeDoc[] = [
  { name: 'url', kind: 'url', required: true, summary: 'The base URL of the Prometheus API (or Thanos, Mimir, VictoriaMetrics), e.g. http://127.0.0.1:9090.' },
  { name: 'headers', kind: 'map', summary: 'Headers on every query (authorization, X-Scope-OrgID).' },
  { name: 'timeout', kind: 'duration', default: 'the run\'s call timeout', summary: 'How long one query may take.' },
];

export function readPromUrl(attrs: Record<string, unknown>, issues: IssueSink): string | undefined {
  const v = attrs.url;
  if (v === undefined) {
    issues.add('url', 'is required', URL_EXPECTED);
    return undefined;
  }
  try {
    const u = new URL(String(v));
    if ((u.protocol === 'http:' || u.protocol === 'https:') && typeof v === 'string') return v;
  } catch {
    // reported below
  }
  issues.add('url', `is not an http(s) URL: ${JSON.stringify(v)}`, URL_EXPECTED);
  return undefined;
}

export function readHeaders(attrs: Record<string, unknown>, issues: IssueSink): Record<string, string> | undefined {
  return readStringMap(attrs, 'headers', issues);
}

export function readTimeout(attrs: Record<string, unknown>, issues: IssueSink): number | undefined {
  const before = issues.count;
  const ms = readDuration(attrs, 'timeout', issues, undefined);
  if (issues.count === before && ms !== undefined && ms <= 0) issues.add('timeout', `must be longer than 0, got ${JSON.stringify(attrs.timeout)}`);
  return ms;
}

const TIME_EXPECTED = 'unix seconds, an RFC 3339 time, "now" or "now-5m"';

export function parseTimeSpec(value: unknown, path: string, issues: IssueSink): TimeSpec | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return { abs: value };
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === 'now') return { offsetMs: 0 };
    const rel = /^now\s*([-+])\s*(.+)$/.exec(t);
    if (rel) {
      const ms = parseDuration(rel[2]);
      if (ms !== undefined) return { offsetMs: rel[1] === '-' ? -ms : ms };
    } else if (/^\d+(\.\d+)?$/.test(t)) {
      return { abs: Number(t) };
    } else if (/^\d{4}-\d{2}-\d{2}T/.test(t) && Number.isFinite(Date.parse(t))) {
      return { abs: Date.parse(t) / 1000 };
    }
  }
  issues.add(path, `is not a time: ${JSON.stringify(value)}`, TIME_EXPECTED);
  return undefined;
}

/** Resolves a time spec against `nowMs` into unix seconds. */
export function resolveTime(spec: TimeSpec, nowMs: number): number {
  return 'abs' in spec ? spec.abs : (nowMs + spec.offsetMs) / 1000;
}
