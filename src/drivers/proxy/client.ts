import type { Toxiproxy } from 'toxiproxy-node-client';
import { FirebreakError, isFirebreakError } from '../../errors.js';
import { withTimeout } from '../../util/abort.js';
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
  if (typeof doFetch === 'function') http.doFetch = (u, init) => doFetch.call(http, u, change(init ?? {}));
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
  const why = status ? `HTTP ${status}` : err.message;
  return new FirebreakError('FIREBREAK_E_PROXY', `proxy API refused to ${doing}: ${why}`, { cause: err, details: status ? { status } : undefined });
}
