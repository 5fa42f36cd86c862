import { FirebreakError } from '../../errors.js';
import { withTimeout } from '../../util/abort.js';

/** Where and how to reach a Prometheus-compatible HTTP API. */
export interface PromEndpoint {
  /** Base URL, e.g. http://127.0.0.1:9090 or a path-prefixed one behind a gateway. */
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export type PromLabels = Record<string, string>;
export type PromData =
  | { resultType: 'vector'; result: { metric: PromLabels; value: [number, string] }[] }
  | { resultType: 'matrix'; result: { metric: PromLabels; values: [number, string][] }[] }
  | { resultType: 'scalar'; result: [number, string] }
  | { resultType: 'string'; result: [number, string] };

/** An instant query (`/api/v1/query`); `time` in unix seconds, omitted for "now". */
export async function queryInstant(ep: PromEndpoint, query: string, time: number | undefined, signal?: AbortSignal): Promise<PromData> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', formatTime(time));
  return call(ep, 'query', params, signal);
}

/** A range query (`/api/v1/query_range`); times in unix seconds, step in seconds. */
export async function queryRange(
  ep: PromEndpoint,
  query: string,
  range: { start: number; end: number; step: number },
  signal?: AbortSignal,
): Promise<PromData> {
  const params = new URLSearchParams({ query, start: formatTime(range.start), end: formatTime(range.end), step: String(range.step) });
  return call(ep, 'query_range', params, signal);
}

/** Prometheus sample values are strings, with `NaN`, `+Inf` and `-Inf` spelled its own way. */
export function sampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

async function call(ep: PromEndpoint, endpoint: string, params: URLSearchParams, signal?: AbortSignal): Promise<PromData> {
  const url = `${ep.url.replace(/\/+$/, '')}/api/v1/${endpoint}?${params.toString()}`;
  const what = `Prometheus ${endpoint} ${JSON.stringify(params.get('query'))}`;
  return withTimeout(
    what,
    ep.timeoutMs,
    async (bounded) => {
      let res: Response;
      try {
        res = await fetch(url, { headers: { accept: 'application/json', ...ep.headers }, signal: bounded });
      } catch (err) {
        if (bounded.aborted) throw bounded.reason;
        throw new FirebreakError('FIREBREAK_E_PROBE', `${what}: cannot reach ${ep.url}: ${(err as Error).message}`, { cause: err });
      }
      const text = await res.text();
      let body: { status?: string; data?: PromData; errorType?: string; error?: string; warnings?: string[] } | undefined;
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
      if (!body || body.status !== 'success' || !res.ok) {
        const reason = body?.errorType || body?.error ? `${body.errorType ?? 'error'}: ${body.error ?? ''}` : `HTTP ${res.status} ${snippet(text)}`;
        throw new FirebreakError('FIREBREAK_E_PROBE', `${what} failed: ${reason}`, {
          details: { status: res.status, errorType: body?.errorType, error: body?.error },
        });
      }
      if (!isPromData(body.data)) throw new FirebreakError('FIREBREAK_E_PROBE', `${what}: the answer has no recognisable data: ${snippet(text)}`);
      return body.data;
    },
    signal,
  );
}

function isPromData(data: unknown): data is PromData {
  if (data === null || typeof data !== 'object') return false;
  const d = data as { resultType?: unknown; result?: unknown };
  return ['vector', 'matrix', 'scalar', 'string'].includes(d.resultType as string) && Array.isArray(d.result);
}

function formatTime(seconds: number): string {
  return (Math.round(seconds * 1000) / 1000).toString();
}

function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}...` : t;
}
