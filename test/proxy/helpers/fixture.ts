import { silentLogger } from '../../../src/log.js';
import { startEchoServer, type TestServer } from './net.js';
import { startProxyServer, type ProxyServer } from '../../../src/proxy/index.js';

export function startTestServer(): Promise<ProxyServer> {
  return startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger() });
}

export interface ApiReply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** A raw API call with fetch (for statuses, bodies and headers the client library hides). */
export async function api(server: ProxyServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** Creates a TCP proxy to `upstream` on a free loopback port; returns its port. */
export async function createProxy(server: ProxyServer, name: string, upstream: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await api(server, 'POST', '/proxies', { name, upstream, listen: '127.0.0.1:0', ...extra });
  if (r.status !== 201) throw new Error(`create proxy failed: ${r.status} ${r.text}`);
  return Number(String(r.body.listen).split(':').pop());
}

export async function addToxic(server: ProxyServer, proxy: string, toxic: Record<string, unknown>): Promise<any> {
  const r = await api(server, 'POST', `/proxies/${proxy}/toxics`, toxic);
  if (r.status !== 200) throw new Error(`add toxic failed: ${r.status} ${r.text}`);
  return r.body;
}

export async function updateToxic(server: ProxyServer, proxy: string, name: string, body: Record<string, unknown>): Promise<any> {
  const r = await api(server, 'POST', `/proxies/${proxy}/toxics/${name}`, body);
  if (r.status !== 200) throw new Error(`update toxic failed: ${r.status} ${r.text}`);
  return r.body;
}

export async function removeToxic(server: ProxyServer, proxy: string, name: string): Promise<void> {
  const r = await api(server, 'DELETE', `/proxies/${proxy}/toxics/${name}`);
  if (r.status !== 204) throw new Error(`remove toxic failed: ${r.status} ${r.text}`);
}

/**
 * The setup most TCP toxic tests share: an echo server, a proxy server, and a proxy named `echo` in
 * front of the echo server, fresh for each test. The fields are filled in before each test.
 */
export function useEchoProxy(): { server: ProxyServer; echo: TestServer; port: number } {
  const fx = {} as { server: ProxyServer; echo: TestServer; port: number };
  beforeEach(async () => {
    fx.echo = await startEchoServer();
    fx.server = await startTestServer();
    fx.port = await createProxy(fx.server, 'echo', fx.echo.address);
  });
  afterEach(async () => {
    await fx.server.close();
    await fx.echo.close();
  });
  return fx;
}
