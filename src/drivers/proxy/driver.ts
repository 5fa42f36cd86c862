import type { ICreateProxyBody } from 'toxiproxy-node-client';
import { explainError } from '../../util/cause.js';
import { FirebreakError, isFirebreakError } from '../../errors.js';
import type { ProxyServer } from '../../proxy/server.js';
import type { Driver, DriverCallContext } from '../types.js';
import { callProxyApi, isUnreachable, proxyError, useProxyToken, type ProxyConnection } from './client.js';
import { parseProxyDriverConfig, type ProxyDriverConfig, type ProxyEntry } from './config.js';
import { PROXY_FAULTS } from './faults/index.js';
import { proxySignalsProbe } from './signals-probe.js';
import { checkProxyPlan, reconcileProxyCohorts } from './reconcile.js';

/**
 * Network faults through a Toxiproxy-compatible proxy: the embedded server (started for the run when
 * `url` is not given) or an existing one (Toxiproxy itself, or `firebreak proxy`).
 */
export const proxyDriver: Driver<ProxyDriverConfig, ProxyConnection> = {
  name: 'proxy',
  summary: 'Latency, bandwidth, timeouts, resets, slicing, data limits, partitions and HTTP aborts through a Toxiproxy-compatible proxy.',
  faults: PROXY_FAULTS,
  probes: [proxySignalsProbe],
  parseConfig: (raw, issues) => parseProxyDriverConfig(raw, issues),
  reconcile: (config, experiment, issues) => reconcileProxyCohorts(config, experiment, issues),
  async checkPlan(conn, config, experiment, ctx) {
    // The declared proxies are what a run populates (a dry run has not populated them yet); a server's
    // other proxies are read from its API. An embedded proxy on a dry run has no server to ask.
    const proxies = new Map<string, Record<string, unknown>>();
    if (conn.url) {
      const res = await callProxyApi(conn.url, 'list proxies', ctx, (client) => client.getApi().get<Record<string, Record<string, unknown>>>(`${conn.url}/proxies`));
      for (const [name, p] of Object.entries(res.data)) proxies.set(name, p);
    }
    for (const e of config.proxies) proxies.set(e.name, { ...e, cohort: e.cohort || null });
    return checkProxyPlan(experiment, proxies);
  },
  async connect(config, ctx) {
    const touches = (ctx.purpose ?? 'run') === 'run';
    // A dry run changes nothing, and recovering an embedded proxy needs no server: it died with the
    // run that started it, and each fault's revert finds its proxy from its own state.
    if (!config.url && !touches) return { url: '', embedded: true };
    let server: ProxyServer | undefined;
    if (!config.url) {
      // The embedded server (and its metrics library) is loaded only by a run that starts one.
      const { startProxyServer } = await import('../../proxy/server.js');
      server = await startProxyServer({ host: '127.0.0.1', port: 0, logger: ctx.logger });
    }
    const conn: ProxyConnection = { url: config.url ?? server!.url, embedded: server !== undefined, ...(server ? { server } : {}) };
    if (config.url) useProxyToken(config.url, process.env[typeof config.tokenEnv === 'string' ? config.tokenEnv : 'FIREBREAK_PROXY_TOKEN'] || undefined);
    try {
      await callProxyApi(conn.url, 'version', ctx, (client) => client.getVersion());
    } catch (err) {
      await server?.close();
      if (ctx.signal.aborted) throw err;
      const why = isFirebreakError(err, 'FIREBREAK_E_TIMEOUT') ? `no answer within ${ctx.timeoutMs} ms (ETIMEDOUT)` : explainError(err);
      throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `proxy API at ${conn.url} did not answer: ${why}`, { cause: err });
    }
    try {
      if (config.proxies.length && touches) await populate(conn, config.proxies, ctx);
    } catch (err) {
      await server?.close();
      throw err;
    }
    ctx.logger.debug({ url: conn.url, embedded: conn.embedded, proxies: config.proxies.length }, 'proxy API answered');
    return conn;
  },
  async disconnect(conn) {
    await conn.server?.close();
  },
};

async function populate(conn: ProxyConnection, entries: ProxyEntry[], ctx: DriverCallContext): Promise<void> {
  const body = entries.map((e) => ({
    name: e.name,
    upstream: e.upstream,
    listen: e.listen ?? '127.0.0.1:0',
    enabled: e.enabled,
    ...(e.cohort ? { cohort: e.cohort } : {}),
  })) as ICreateProxyBody[];
  try {
    await callProxyApi(conn.url, 'populate', ctx, (client) => client.populate(body));
  } catch (err) {
    if (isUnreachable(err)) throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `proxy API at ${conn.url} did not answer: ${explainError(err)}`, { cause: err });
    throw proxyError(err, `populate proxies ${entries.map((e) => e.name).join(', ')}`);
  }
}
