import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StorefrontOptions {
  host?: string;
  port?: number;
  /** Base URL of the recommendations service (through the proxy in the demo). */
  recommendationsUrl: string;
  /** Base URL of the payments service (through the proxy in the demo). */
  paymentsUrl: string;
  /** Recommendations are optional: after this the page renders without them. */
  recommendationsTimeoutMs?: number;
  /** Payments are not: after this checkout fails with 504. */
  paymentsTimeoutMs?: number;
}

export interface Storefront {
  url: string;
  port: number;
  stats: { requests: number; degraded: number; failed: number };
  close(): Promise<void>;
}

/**
 * The demo's system under test: a small storefront with two dependencies. `/product/<id>` calls
 * recommendations with a short timeout and falls back to rendering without them (resilient);
 * `/checkout` calls payments and fails when payments fail (not resilient). The caller's user key is
 * passed on, so a cohort-aware proxy in front of a dependency can tell canary users apart.
 */
export async function startStorefront(opts: StorefrontOptions): Promise<Storefront> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const stats = { requests: 0, degraded: 0, failed: 0 };
  const recTimeout = opts.recommendationsTimeoutMs ?? 150;
  const payTimeout = opts.paymentsTimeoutMs ?? 1000;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    req.resume();
    const user = String(req.headers['x-user-id'] ?? 'anonymous');
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/product/')) {
      call(agent, `${opts.recommendationsUrl}/recommendations?for=${encodeURIComponent(path.slice(9))}`, user, recTimeout)
        .then((body) => send(res, 200, { product: path.slice(9), recommendations: JSON.parse(body) as unknown }))
        .catch(() => {
          stats.degraded++;
          send(res, 200, { product: path.slice(9), recommendations: [], degraded: true });
        });
    } else if (path === '/checkout') {
      call(agent, `${opts.paymentsUrl}/charge`, user, payTimeout)
        .then(() => send(res, 200, { paid: true }))
        .catch((err: Error) => {
          stats.failed++;
          send(res, err.message === 'timeout' ? 504 : 502, { paid: false, error: err.message });
        });
    } else if (path === '/health') send(res, 200, { ok: true });
    else send(res, 404, { error: 'not found' });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    stats,
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** GET with a deadline; rejects on non-2xx, errors and the deadline ('timeout'). */
function call(agent: Agent, url: string, user: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'x-user-id': user } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`status ${res.statusCode}`));
        else resolve(body);
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A dependency that answers JSON after a small fixed delay. */
export async function startDependency(name: string, opts: { delayMs?: number; host?: string } = {}): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    setTimeout(() => send(res, 200, name === 'recommendations' ? ['socks', 'laces', 'insoles'] : { ok: true }), opts.delayMs ?? 2);
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
