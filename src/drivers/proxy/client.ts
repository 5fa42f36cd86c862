import type { Toxiproxy } from 'toxiproxy-node-client';
import { FirebreakError, isFirebreakError } from '../../errors.js';
import { withTimeout } from '../../util/abort.js';
import { explainError } from '../../util/cause.js';
import type { ProxyServer } from '../../proxy/server.js';

/** The driver's live connection: the proxy API it talks to, and the embedded server when it runs one. */
export interface ProxyConnection {
  /** Base URL of the proxy API. */
  url: string;
  /** True when this connection started the server (it dies with the process). */
  embedded: boolean;
  server?: ProxyServer;
}

export interface CallContext {
  signal: AbortSignal;
  timeoutMs: number;
}

/**
 * Runs one proxy API call with toxiproxy-node-client, bounded by `timeoutMs` and cancelled by `signal`.
 * The client takes no AbortSignal, so each call gets its own client whose fetch wrapper adds one.
 */
export async function callProxyApi<T>(url: string, what: string, ctx: CallContext, work: (client: Toxiproxy) => Promise<T>): Promise<T> {
  const lib = await clientLibrary();
  return withTimeout(`proxy API ${what}`, ctx.timeoutMs, (signal) => work(clientWithSignal(lib, url, signal)), ctx.signal);
}

type ClientLibrary = typeof import('toxiproxy-node-client');
let library: ClientLibrary | undefined;

// Loaded on the first call, not when the driver is registered: commands that never call a proxy API
// (validate, --version) do not pay for it. Errors of the client exist only once it is loaded.
async function clientLibrary(): Promise<ClientLibrary> {
  library ??= await import('toxiproxy-node-client');
  return library;
}

function clientWithSignal(lib: ClientLibrary, url: string, signal: AbortSignal): Toxiproxy {
  const client = new lib.Toxiproxy(url);
  const token = tokens.get(url);
  wrapFetch(client, (init) => ({ ...init, signal, ...(token ? { headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } } : {}) }));
  return client;
}

/** Bearer tokens of proxy APIs, by base URL: set at connect, sent with every call. */
const tokens = new Map<string, string>();

export function useProxyToken(url: string, token: string | undefined): void {
  if (token) tokens.set(url, token);
  else tokens.delete(url);
}

/**
 * Makes a toxiproxy-node-client send `Authorization: Bearer <token>` (the client has no option for
 * headers): for a `firebreak proxy` started with `--token`.
 */
export function withBearerToken(client: Toxiproxy, token: string): Toxiproxy {
  wrapFetch(client, (init) => ({ ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } }));
  return client;
}

function wrapFetch(client: Toxiproxy, change: (init: RequestInit) => RequestInit): void {
  const http = client.getApi() as unknown as { doFetch?: (u: string, init: RequestInit) => Promise<Response> };
  const doFetch = http.doFetch;
  if (typeof doFetch === 'function') http.doFetch = (u, init) => fetchKeepingCause(u, change(init ?? {}));
}

/**
 * The client's own fetch, less what it drops: fetch's cause (`ECONNREFUSED 127.0.0.1:8474`) and the
 * API's JSON error body (`{"error": "listen tcp ...: bind: address already in use", "status": 500}`).
 * Its errors keep the client's shape (name, message), so `statusOf` and `isUnreachable` still read them.
 */
async function fetchKeepingCause(url: string, init: RequestInit): Promise<Response> {
  const { ToxiproxyError } = await clientLibrary();
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    throw Object.assign(new ToxiproxyError(err.name, err.message, err.stack), err.cause === undefined ? {} : { cause: err.cause });
  }
  if (res.ok) return res;
  const body = await res.text().catch(() => '');
  const said = apiMessageOf(body);
  throw Object.assign(new ToxiproxyError('Error', `Request failed with status code ${res.status}`), { status: res.status, ...(said ? { apiMessage: said } : {}) });
}

/** Toxiproxy's error body (`{"error": ..., "status": ...}`), or a short plain-text one. */
function apiMessageOf(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    if (typeof error === 'string' && error) return error;
  } catch {
    // not JSON
  }
  const text = body.trim();
  return text && text.length <= 200 && !text.includes('<') ? text : undefined;
}

/** The HTTP status of a refused call (the client reports only `Request failed with status code N`). */
export function statusOf(err: unknown): number | undefined {
  if (!library || !(err instanceof library.ToxiproxyError)) return undefined;
  const m = /status code (\d{3})/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

/** True when nothing answered at the address (connection refused, reset, unknown host): fetch's TypeError. */
export function isUnreachable(err: unknown): boolean {
  return library !== undefined && err instanceof library.ToxiproxyError && err.name === 'TypeError';
}

/** Wraps an API failure as FIREBREAK_E_PROXY (timeouts and cancellations pass through unchanged). */
export function proxyError(err: unknown, doing: string): Error {
  if (isFirebreakError(err) || !(err instanceof Error) || err.name === 'AbortError') return err as Error;
  const status = statusOf(err);
  const what = status ? `proxy API refused to ${doing}` : `could not reach the proxy API to ${doing}`;
  return new FirebreakError('FIREBREAK_E_PROXY', `${what}: ${explainError(err)}`, { cause: err, details: status ? { status } : undefined });
}
