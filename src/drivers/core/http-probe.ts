import { FirebreakError } from '../../errors.js';
import type { ValueProbeType } from '../../probes/types.js';
import { readDuration, readString, readStringMap, rejectUnknown } from './attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';

interface HttpProbeAttrs {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'url', kind: 'url', required: true, summary: 'The URL requested.' },
  { name: 'method', kind: 'string', default: 'GET', summary: 'The HTTP method.' },
  { name: 'headers', kind: 'map', summary: 'Request headers.' },
  { name: 'body', kind: 'any', summary: 'The request body: text as it is, anything else as JSON.' },
  { name: 'timeout', kind: 'duration', default: '5s', summary: 'How long the request may take, headers and body.' },
];

/** One HTTP request; tolerances look at `status`, `body`, `json.<path>`, `durationMs`, `headers.<name>`. */
export const httpProbe: ValueProbeType<HttpProbeAttrs> = {
  kind: 'value',
  type: 'http',
  driver: 'core',
  summary: 'Makes one HTTP request and answers its status, body (and JSON) and duration.',
  attributes: ATTRS,
  example: { url: 'http://127.0.0.1:8080/health', timeout: '2s' },
  parse(attrs, issues) {
    rejectUnknown(attrs, ATTRS, issues);
    const url = readString(attrs, 'url', issues, true);
    if (url && !/^https?:\/\//.test(url)) issues.add('url', `must be an http(s) URL, got "${url}"`);
    const method = (readString(attrs, 'method', issues) ?? 'GET').toUpperCase();
    const headers = readStringMap(attrs, 'headers', issues);
    const body = attrs.body === undefined ? undefined : typeof attrs.body === 'string' ? attrs.body : JSON.stringify(attrs.body);
    const timeoutMs = readDuration(attrs, 'timeout', issues, 5_000);
    if (!url || timeoutMs === undefined) return undefined;
    return { url, method, timeoutMs, ...(headers ? { headers } : {}), ...(body !== undefined ? { body } : {}) };
  },
  async run(ctx, a) {
    const started = performance.now();
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.min(a.timeoutMs, ctx.timeoutMs))]);
    let res: Response;
    try {
      res = await fetch(a.url, { method: a.method, ...(a.headers ? { headers: a.headers } : {}), ...(a.body !== undefined ? { body: a.body } : {}), signal });
    } catch (err) {
      throw new FirebreakError('FIREBREAK_E_PROBE', `${a.method} ${a.url} failed: ${(err as Error).message}`, { cause: err });
    }
    const body = await res.text();
    let json: unknown;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
    }
    return {
      status: res.status,
      body: body.slice(0, 64 * 1024),
      ...(json !== undefined ? { json } : {}),
      headers: Object.fromEntries(res.headers.entries()),
      durationMs: Math.round(performance.now() - started),
    };
  },
};
