import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Systems whose resilience is known, for the verdict-truth suite: a dependency behind the embedded
 * proxy (in cohort mode, so faults reach only canary users), and in front of it two services that call
 * it. The resilient one gives up after `timeoutMs` and answers from a fallback; the fragile one waits
 * up to 5 s and fails when the dependency fails. A third variant does not pass the user key on, so no
 * fault at the proxy can tell its users apart.
 */
export interface KnownSystem {
  proxy: ProxyServer;
  /** The proxy API's base URL (target.proxy.url). */
  proxyUrl: string;
  /** The dependency's address through the proxy (the `dep` proxy). */
  depThroughProxy: string;
  resilient: Service;
  fragile: Service;
  forgetful: Service;
  close(): Promise<void>;
}

export interface Service {
  url: string;
  stats: { requests: number; fallbacks: number; failures: number };
}

export const SALT = 'verdict-truth';
export const COHORT = { mode: 'http', key: 'header:x-user-id', canary: 0.25, control: 0.25, salt: SALT } as const;

export async function startKnownSystem(): Promise<KnownSystem> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const dep = await listen(createServer((req, res) => {
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"items":[1,2,3]}');
      }, 2);
    }));
    closers.push(dep.close);
    const proxy = await startProxyServer({
      host: '127.0.0.1', port: 0, logger: silentLogger(),
      proxies: [{ name: 'dep', listen: '127.0.0.1:0', upstream: `127.0.0.1:${dep.port}`, cohort: { ...COHORT } }],
    });
    closers.push(() => proxy.close());
    const depThroughProxy = `http://${proxy.proxy('dep')!.toJSON().listen}`;
    const resilient = await startService(depThroughProxy, { timeoutMs: 100, fallback: true, forward: true });
    closers.push(resilient.close);
    const fragile = await startService(depThroughProxy, { timeoutMs: 5000, fallback: false, forward: true });
    closers.push(fragile.close);
    const forgetful = await startService(depThroughProxy, { timeoutMs: 5000, fallback: false, forward: false });
    closers.push(forgetful.close);
    return {
      proxy, proxyUrl: proxy.url, depThroughProxy, resilient, fragile, forgetful,
      async close() {
        for (const c of closers.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

async function startService(dependency: string, opts: { timeoutMs: number; fallback: boolean; forward: boolean }): Promise<Service & { close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const stats = { requests: 0, fallbacks: 0, failures: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    req.resume();
    const headers = opts.forward && req.headers['x-user-id'] ? { 'x-user-id': String(req.headers['x-user-id']) } : {};
    let done = false;
    const answer = (status: number, body: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const fail = (why: string): void => {
      if (opts.fallback) {
        stats.fallbacks++;
        answer(200, '{"items":[],"degraded":true}');
      } else {
        stats.failures++;
        answer(why === 'timeout' ? 504 : 502, JSON.stringify({ error: why }));
      }
    };
    const up = request(`${dependency}/items`, { agent, headers }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d: string) => (body += d));
      r.on('end', () => ((r.statusCode ?? 500) >= 400 ? fail(`status ${r.statusCode}`) : answer(200, body)));
      r.on('error', () => fail('broken'));
    });
    const timer = setTimeout(() => {
      up.destroy();
      fail('timeout');
    }, opts.timeoutMs);
    up.on('error', () => fail('error'));
    up.end();
  });
  server.keepAliveTimeout = 10_000;
  const s = await listen(server);
  return {
    url: `http://127.0.0.1:${s.port}`,
    stats,
    async close() {
      agent.destroy();
      await s.close();
    },
  };
}

async function listen(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Mocha hooks for a suite that runs against the known system: started before, closed after, with a temporary directory. */
export function useKnownSystem(): { sys(): KnownSystem; dir(): string } {
  let sys: KnownSystem | undefined;
  let tmp: ReturnType<typeof tempDir> | undefined;
  before(async () => {
    sys = await startKnownSystem();
    tmp = tempDir();
  });
  after(async () => {
    await sys?.close();
    tmp?.cleanup();
  });
  return { sys: () => sys!, dir: () => tmp!.dir };
}
