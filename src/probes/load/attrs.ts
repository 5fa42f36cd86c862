import type { IssueSink } from '../../experiment/issues.js';
import { parseStickyKey, type StickyKeySource } from '../../cohort/sticky.js';
import { readDuration, readNumber, readStringMap, rejectUnknown } from '../../drivers/core/attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';
import { parseFraction } from '../../util/duration.js';
import { parseErrorStatus, type StatusRanges } from './error-status.js';

export interface LoadRequestSpec {
  method: string;
  /** Appended to the base URL's path; may carry a query string. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  weight: number;
}

export interface LoadUsers {
  count: number;
  /** Header that carries the user key on every request. */
  header: string;
  prefix: string;
}

export interface LoadCohort {
  /** Where the proxy reads the sticky key (`header:x-user-id`, `cookie:session`, `client-address`). */
  key: StickyKeySource;
  salt: string;
  canary: number;
  control: number;
}

export interface LoadAttrs {
  url: URL;
  rate: number;
  maxInFlight: number;
  timeoutMs: number;
  requests: LoadRequestSpec[];
  users: LoadUsers;
  cohort?: LoadCohort;
  errorStatus: StatusRanges;
  maxLagMs: number;
  /** Optional bound: stop sending after this long even if nobody calls stop(). */
  durationMs?: number;
  /** How long it sends before the first window measures (connections opened, code warmed); 0 for none. */
  warmupMs: number;
  /**
   * Replicas to spread requests over, round-robin (client-side load balancing), each `host:port`;
   * the URL gives the scheme and path. Without it every request goes to the URL's host.
   */
  endpoints?: { host: string; port: number }[];
}

/**
 * The most requests the generator keeps in flight by default, whatever the rate: each holds a socket
 * and its buffers (about 10 KB), so 20,000 stay well under 256 MB and the usual open-file limits.
 */
export const MAX_IN_FLIGHT_LIMIT = 20_000;

/**
 * Enough room for every request the declared rate can have in flight at once (each lives at most the
 * timeout), with a quarter spare: a stalled target then shows as slow or timed-out requests instead
 * of as sends that were never made. Bounded by MAX_IN_FLIGHT_LIMIT.
 */
export function defaultMaxInFlight(rate: number, timeoutMs: number): number {
  return Math.min(MAX_IN_FLIGHT_LIMIT, Math.ceil(rate * (timeoutMs / 1000) * 1.25) + 16);
}

export const LOAD_DEFAULTS = {
  timeoutMs: 2000,
  warmupMs: 1000,
  maxLagMs: 10,
  users: { count: 1000, header: 'x-user-id', prefix: 'user-' },
} as const;

const REQUEST_FIELDS: readonly AttributeDoc[] = [
  { name: 'method', kind: 'string', default: 'GET', summary: 'The HTTP method.' },
  { name: 'path', kind: 'string', default: '/', summary: "Appended to the url's path; may carry a query string." },
  { name: 'headers', kind: 'map', summary: 'Request headers (forward what your service needs: auth, tenant, the sticky key if it is not the user header).' },
  { name: 'body', kind: 'any', summary: 'The request body: text as it is, anything else as JSON (with content-type: application/json).' },
  { name: 'weight', kind: 'number', default: 1, summary: 'Its share of the requests, relative to the other entries.' },
];
const USERS_FIELDS: readonly AttributeDoc[] = [
  { name: 'count', kind: 'integer', min: 1, max: 10_000_000, default: LOAD_DEFAULTS.users.count, summary: 'How many distinct users the requests are spread over.' },
  { name: 'header', kind: 'string', default: LOAD_DEFAULTS.users.header, summary: 'The header that carries the user key on every request.' },
  { name: 'prefix', kind: 'string', default: LOAD_DEFAULTS.users.prefix, summary: 'The prefix of each user key (user-1, user-2, ...).' },
];
const COHORT_FIELDS: readonly AttributeDoc[] = [
  { name: 'key', kind: 'string', default: 'header:<users.header>', summary: 'Where the proxies read the sticky key: header:<name>, cookie:<name> or client-address.' },
  { name: 'salt', kind: 'string', required: true, summary: 'The salt of the cohort hash (as the proxies have it).' },
  { name: 'canary', kind: 'fraction', required: true, summary: 'The share of users in the canary cohort.' },
  { name: 'control', kind: 'fraction', required: true, summary: 'The share of users in the control cohort.' },
];

/** The load probe's attributes. */
export const LOAD_ATTRS: readonly AttributeDoc[] = [
  { name: 'url', kind: 'url', required: true, summary: 'The base URL requests go to (requests[].path is appended).' },
  { name: 'rate', kind: 'number', unit: 'requests/s', required: true, summary: 'The constant arrival rate: requests start on schedule whether or not earlier ones finished (an open model).' },
  { name: 'endpoints', kind: 'list', items: 'string', summary: 'Replicas as host:port, requests spread round-robin over them (the url gives scheme and path).' },
  { name: 'maxInFlight', kind: 'integer', min: 1, default: 'rate x timeout x 1.25 + 16 (at most 20,000)', summary: 'The most requests outstanding at once; a send beyond it is dropped and counted.' },
  { name: 'timeout', kind: 'duration', default: '2s', summary: 'A request unanswered for this long fails (and counts as an error).' },
  { name: 'requests', kind: 'list', fields: REQUEST_FIELDS, default: 'GET /', summary: 'The requests sent, picked by weight.' },
  { name: 'users', kind: 'object', fields: USERS_FIELDS, summary: 'The simulated users, each sending its key in a header.' },
  { name: 'cohort', kind: 'object', fields: COHORT_FIELDS, default: 'cohort.traffic', summary: 'How users are labelled canary and control; left out, it is taken from cohort.traffic.' },
  { name: 'errorStatus', kind: 'any', default: '5xx', summary: 'Which statuses are errors: 503, 5xx, 500-599, >=500, or a list like [429, 5xx].' },
  { name: 'maxLag', kind: 'duration', default: '10ms', summary: 'A send later than this behind its schedule is late; a window with more than 5% late sends is untrustworthy.' },
  { name: 'duration', kind: 'duration', summary: 'A bound on how long it sends, whatever the phases.' },
  { name: 'warmup', kind: 'duration', default: '1s', summary: 'How long it sends before the first window is measured (connections opened, caches warm).' },
];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseLoadAttrs(attrs: Record<string, unknown>, issues: IssueSink): LoadAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, LOAD_ATTRS, issues);
  const url = parseBaseUrl(attrs.url, issues.at('url'));
  const rate = readNumber(attrs, 'rate', issues, { required: true });
  if (rate !== undefined && rate <= 0) issues.add('rate', `must be greater than 0 requests per second, got ${rate}`);
  const timeoutMs = positiveDuration(attrs, 'timeout', issues, LOAD_DEFAULTS.timeoutMs);
  const maxInFlight = readNumber(attrs, 'maxInFlight', issues, { integer: true, min: 1, fallback: defaultMaxInFlight(rate ?? 1, timeoutMs ?? LOAD_DEFAULTS.timeoutMs) });
  const maxLagMs = positiveDuration(attrs, 'maxLag', issues, LOAD_DEFAULTS.maxLagMs);
  const durationMs = attrs.duration === undefined ? undefined : positiveDuration(attrs, 'duration', issues, undefined);
  const warmupMs = readDuration(attrs, 'warmup', issues, LOAD_DEFAULTS.warmupMs);
  const requests = parseRequests(attrs.requests, issues.at('requests'));
  const users = parseUsers(attrs.users, issues.at('users'));
  const cohort = parseCohort(attrs.cohort, users, url, issues.at('cohort'));
  const errorStatus = parseErrorStatus(attrs.errorStatus, issues.at('errorStatus'));
  const endpoints = parseEndpoints(attrs.endpoints, issues.at('endpoints'));
  if (issues.count > before) return undefined;
  return {
    url: url!,
    rate: rate!,
    maxInFlight: maxInFlight!,
    timeoutMs: timeoutMs!,
    requests: requests!,
    users: users!,
    ...(cohort ? { cohort } : {}),
    ...(endpoints ? { endpoints } : {}),
    errorStatus: errorStatus!,
    maxLagMs: maxLagMs!,
    warmupMs: warmupMs!,
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

function positiveDuration(attrs: Record<string, unknown>, key: string, issues: IssueSink, fallback: number | undefined): number | undefined {
  const before = issues.count;
  const ms = readDuration(attrs, key, issues, fallback);
  if (issues.count === before && ms !== undefined && ms <= 0) issues.add(key, `must be longer than 0, got ${JSON.stringify(attrs[key])}`);
  return ms;
}

function parseEndpoints(value: unknown, issues: IssueSink): { host: string; port: number }[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    issues.add('', 'must be a non-empty list of host:port', 'like ["127.0.0.1:8081", "127.0.0.1:8082"]');
    return undefined;
  }
  const out: { host: string; port: number }[] = [];
  value.forEach((v, i) => {
    const m = typeof v === 'string' ? /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(v.trim()) : null;
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) issues.add(`[${i}]`, `is not host:port: ${JSON.stringify(v)}`, 'like 127.0.0.1:8081');
    else out.push({ host: m[1]!, port });
  });
  return out;
}

function parseBaseUrl(value: unknown, issues: IssueSink): URL | undefined {
  if (value === undefined) {
    issues.add('', 'is required', 'an http:// or https:// URL');
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.add('', `must be a URL string, got ${JSON.stringify(value)}`, 'an http:// or https:// URL');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    issues.add('', `is not a URL: ${JSON.stringify(value)}`, 'an http:// or https:// URL');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.add('', `must use http or https, got ${url.protocol.replace(/:$/, '')}`, 'an http:// or https:// URL');
    return undefined;
  }
  if (url.username || url.password) {
    issues.add('', 'must not carry credentials; put an Authorization header in requests[].headers instead');
    return undefined;
  }
  return url;
}

function parseRequests(value: unknown, issues: IssueSink): LoadRequestSpec[] | undefined {
  if (value === undefined) return [{ method: 'GET', path: '/', headers: {}, weight: 1 }];
  if (!Array.isArray(value) || value.length === 0) {
    issues.add('', 'must be a non-empty list of requests', '[{ method, path, headers?, body?, weight? }]');
    return undefined;
  }
  const out: LoadRequestSpec[] = [];
  value.forEach((item, i) => {
    const at = issues.at(`[${i}]`);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      at.add('', 'must be a mapping', '{ method, path, headers?, body?, weight? }');
      return;
    }
    const r = item as Record<string, unknown>;
    const before = issues.count;
    rejectUnknown(r, REQUEST_FIELDS, at);
    const method = r.method === undefined ? 'GET' : typeof r.method === 'string' ? r.method.toUpperCase() : '';
    if (!TOKEN.test(method)) at.add('method', `is not an HTTP method: ${JSON.stringify(r.method)}`, 'GET, POST, PUT...');
    const path = r.path === undefined ? '/' : r.path;
    if (typeof path !== 'string' || !path.startsWith('/') || /\s/.test(path)) {
      at.add('path', `must be a path starting with "/" and without spaces, got ${JSON.stringify(r.path)}`);
    }
    const headers = readStringMap(r, 'headers', at) ?? {};
    for (const name of Object.keys(headers)) if (!TOKEN.test(name)) at.add(`headers.${name}`, 'is not a valid header name');
    let body: string | undefined;
    if (typeof r.body === 'string') body = r.body;
    else if (r.body !== undefined && r.body !== null) {
      body = JSON.stringify(r.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const weight = readNumber(r, 'weight', at, { fallback: 1 });
    if (weight !== undefined && weight <= 0) at.add('weight', `must be greater than 0, got ${weight}`);
    if (issues.count > before) return;
    out.push({ method, path: path as string, headers, weight: weight!, ...(body !== undefined ? { body } : {}) });
  });
  return out.length === value.length ? out : undefined;
}

function parseUsers(value: unknown, issues: IssueSink): LoadUsers | undefined {
  const d = LOAD_DEFAULTS.users;
  if (value === undefined) return { ...d };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add('', 'must be a mapping', '{ count?, header?, prefix? }');
    return undefined;
  }
  const u = value as Record<string, unknown>;
  const before = issues.count;
  rejectUnknown(u, USERS_FIELDS, issues);
  const count = readNumber(u, 'count', issues, { integer: true, min: 1, max: 10_000_000, fallback: d.count });
  const header = u.header === undefined ? d.header : u.header;
  if (typeof header !== 'string' || !TOKEN.test(header)) issues.add('header', `is not a valid header name: ${JSON.stringify(u.header)}`);
  const prefix = u.prefix === undefined ? d.prefix : u.prefix;
  if (typeof prefix !== 'string') issues.add('prefix', `must be a string, got ${JSON.stringify(u.prefix)}`);
  if (issues.count > before) return undefined;
  return { count: count!, header: (header as string).toLowerCase(), prefix: prefix as string };
}

function parseCohort(value: unknown, users: LoadUsers | undefined, url: URL | undefined, issues: IssueSink): LoadCohort | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add('', 'must be a mapping', '{ key?, salt, canary, control }');
    return undefined;
  }
  const c = value as Record<string, unknown>;
  rejectUnknown(c, COHORT_FIELDS, issues);
  const keyText = c.key ?? `header:${users?.header ?? LOAD_DEFAULTS.users.header}`;
  const key = typeof keyText === 'string' ? parseStickyKey(keyText) : undefined;
  if (!key) issues.add('key', `is not a sticky key source: ${JSON.stringify(c.key)}`, 'header:<name>, cookie:<name> or client-address');
  if (key?.from === 'client-address' && url && !isLoopbackHost(url.hostname)) {
    issues.add('key', 'client-address stickiness needs a loopback url: the generator varies its source address over 127.0.0.0/8');
  }
  if (typeof c.salt !== 'string' || c.salt.length === 0) issues.add('salt', `must be a non-empty string, got ${JSON.stringify(c.salt)}`);
  const canary = readShare(c, 'canary', issues);
  const control = readShare(c, 'control', issues);
  if (canary !== undefined && control !== undefined && canary + control > 1) {
    issues.add('', `canary + control must not exceed 1, got ${canary} + ${control}`);
  }
  if (!key || typeof c.salt !== 'string' || !c.salt || canary === undefined || control === undefined || canary + control > 1) return undefined;
  return { key, salt: c.salt, canary, control };
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A traffic share as cohort.traffic writes it: a fraction 0..1 or a percentage (`5%`). */
function readShare(c: Record<string, unknown>, key: string, issues: IssueSink): number | undefined {
  const v = c[key];
  if (v === undefined) {
    issues.add(key, 'is required', 'a fraction like 0.05 or a percentage like 5%');
    return undefined;
  }
  const f = typeof v === 'number' ? (v >= 0 && v <= 1 ? v : undefined) : parseFraction(v);
  if (f === undefined) issues.add(key, `must be a share between 0 and 1 (or a percentage), got ${JSON.stringify(v)}`);
  return f;
}
