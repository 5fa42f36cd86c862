import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { formatHostPort } from './address.js';
import { handleApiRequest, type ApiContext } from './api/routes.js';
import { loadCohortModule } from './cohort.js';
import { ProxyCollection } from './collection.js';
import { ProxyMetrics } from './metrics.js';
import type { Proxy } from './proxy.js';
import { parseProxyInput, type ListenRules, type ProxyInput } from './proxy-input.js';
import type { ProxyConfig } from './types.js';
import './toxics/index.js';

export interface ProxyServerOptions {
  /** API host; defaults to 127.0.0.1. */
  host?: string;
  /** API port; defaults to Toxiproxy's 8474. 0 picks a free port. */
  port?: number;
  /** Proxies to populate at start (Toxiproxy's config file format). */
  proxies?: readonly ProxyConfig[];
  logger: Logger;
  /** Require `Authorization: Bearer <token>` on every API request. */
  token?: string;
  /** Let proxies listen on addresses other than loopback. */
  allowNonLoopback?: boolean;
  /** More host names the API answers to (its own host, `localhost` and the machine name always). */
  allowHosts?: readonly string[];
}

/** A running embedded proxy server: the Toxiproxy-compatible API and the proxies it manages. */
export interface ProxyServer {
  /** `http://host:port` of the API. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly metrics: ProxyMetrics;
  proxy(name: string): Proxy | undefined;
  proxies(): Proxy[];
  /** `POST /populate` from code: creates or replaces each proxy. */
  populate(configs: readonly ProxyConfig[]): Promise<Proxy[]>;
  /** Stops the API and every proxy; open connections get the bytes already read, then FIN. */
  close(): Promise<void>;
}

/** Starts the API server and populates `proxies`. Rejects (and cleans up) if either fails. */
export async function startProxyServer(opts: ProxyServerOptions): Promise<ProxyServer> {
  const logger = opts.logger.child({ component: 'proxy' });
  const metrics = new ProxyMetrics(() => collection.list());
  const collection: ProxyCollection = new ProxyCollection({ logger, observe: (proxy, o) => metrics.observe(proxy, o) });
  let queue: Promise<unknown> = Promise.resolve();
  const host = opts.host ?? '127.0.0.1';
  const rules: ListenRules = { allowNonLoopback: opts.allowNonLoopback === true };
  const ctx: ApiContext = {
    rules,
    access: {
      ...(opts.token ? { token: opts.token } : {}),
      hosts: new Set(['localhost', hostname(), host, ...(opts.allowHosts ?? [])].map((h) => h.toLowerCase())),
    },
    collection,
    metrics,
    loadCohort: loadCohortModule,
    logger,
    closing: false,
    serialize<T>(work: () => Promise<T>): Promise<T> {
      const run = queue.then(work, work);
      queue = run.catch(() => undefined);
      return run;
    },
  };
  const populate = async (configs: readonly ProxyConfig[]): Promise<Proxy[]> => {
    const inputs: ProxyInput[] = [];
    for (const [i, c] of configs.entries()) inputs.push(await parseProxyInput(c, loadCohortModule, ` at proxy ${i + 1}`, rules));
    return ctx.serialize(() => collection.populate(inputs));
  };

  const http = createServer((req, res) => {
    handleApiRequest(ctx, req, res).catch((err: unknown) => {
      logger.error({ err }, 'API request failed');
      res.destroy();
    });
  });
  http.headersTimeout = 15_000;
  http.requestTimeout = 25_000;
  await listen(http, host, opts.port ?? 8474);
  const port = (http.address() as AddressInfo).port;
  const url = `http://${formatHostPort(host, port)}`;
  logger.info({ url }, 'proxy API listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ctx.closing = true;
      http.close();
      http.closeIdleConnections();
      await queue;
      await collection.shutdown();
      http.closeAllConnections();
      logger.info({ url }, 'proxy API stopped');
    })();
    return closing;
  };

  try {
    if (opts.proxies?.length) await populate(opts.proxies);
  } catch (err) {
    await close();
    throw err;
  }

  return {
    url,
    host,
    port,
    metrics,
    proxy: (name) => collection.find(name),
    proxies: () => collection.list(),
    populate,
    close,
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
