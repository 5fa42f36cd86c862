import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ProxyCollection } from '../collection.js';
import type { ProxyMetrics } from '../metrics.js';
import type { Proxy } from '../proxy.js';
import { mergeProxyUpdate, parseProxyInput, type CohortLoader, type ListenRules, type ProxyInput } from '../proxy-input.js';
import { checkToxicsForMode, mergeToxicUpdate, parseNewToxic, type ToxicRules } from '../toxic-input.js';
import { checkAccess, type ApiAccess } from './access.js';
import { ApiError, apiErrors } from './errors.js';
import { readJson, sendEmpty, sendError, sendJson, sendText } from './http.js';

/** Compatibility level of the API: the Toxiproxy release whose behaviour it follows. */
export const TOXIPROXY_API_VERSION = '2.12.0';

export interface ApiContext {
  collection: ProxyCollection;
  metrics: ProxyMetrics;
  loadCohort: CohortLoader;
  logger: Logger;
  /** Set once the server is shutting down: requests are refused with 503. */
  closing: boolean;
  /** Runs changes one at a time, as Toxiproxy's collection lock does. */
  serialize<T>(work: () => Promise<T>): Promise<T>;
  /** Where proxies may listen. */
  rules: ListenRules;
  /** Who may call the API. */
  access: ApiAccess;
}

type Handler = (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Route {
  path: string[];
  methods: Partial<Record<Method, Handler>>;
}

const proxyIndex: Handler = async (ctx, _req, res) => {
  sendJson(res, 200, Object.fromEntries(ctx.collection.list().map((p) => [p.name, p.toJSON()])));
};

const proxyCreate: Handler = async (ctx, req, res) => {
  const input = await parseProxyInput(await readJson(req), ctx.loadCohort, '', ctx.rules);
  const proxy = await ctx.serialize(() => ctx.collection.add(input));
  sendJson(res, 201, proxy.toJSON());
};

const populate: Handler = async (ctx, req, res) => {
  const body = await readJson(req);
  if (!Array.isArray(body)) throw apiErrors.badRequestBody('expected a JSON array of proxies');
  const inputs: ProxyInput[] = [];
  for (const [i, item] of body.entries()) inputs.push(await parseProxyInput(item, ctx.loadCohort, ` at proxy ${i + 1}`, ctx.rules));
  try {
    const proxies = await ctx.serialize(() => ctx.collection.populate(inputs));
    sendJson(res, 201, { proxies: proxies.map((p) => p.toJSON()) });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    sendError(res, err, { proxies: [] });
  }
};

const proxyShow: Handler = async (ctx, _req, res, [name]) => {
  sendJson(res, 200, ctx.collection.get(name!).toJSON());
};

const proxyUpdate: Handler = async (ctx, req, res, [name]) => {
  const body = await readJson(req);
  const proxy = await ctx.serialize(async () => {
    const p = ctx.collection.get(name!);
    const next = await mergeProxyUpdate(p, body, ctx.loadCohort, ctx.rules);
    if (Boolean(next.cohort) !== Boolean(p.cohort)) {
      checkToxicsForMode(p.toxics(), { ...(await toxicRules(ctx, p)), cohortMode: Boolean(next.cohort) });
    }
    await p.update(next);
    return p;
  });
  sendJson(res, 200, proxy.toJSON());
};

const proxyDelete: Handler = async (ctx, _req, res, [name]) => {
  await ctx.serialize(() => ctx.collection.remove(name!));
  ctx.metrics.forget(name!);
  sendEmpty(res, 204);
};

const toxicIndex: Handler = async (ctx, _req, res, [name]) => {
  sendJson(res, 200, ctx.collection.get(name!).toxics());
};

const toxicCreate: Handler = async (ctx, req, res, [name]) => {
  ctx.collection.get(name!);
  const body = await readJson(req);
  const toxic = await ctx.serialize(async () => {
    const proxy = ctx.collection.get(name!);
    const record = parseNewToxic(body, await toxicRules(ctx, proxy));
    proxy.addToxic(record);
    return record;
  });
  sendJson(res, 200, toxic);
};

const toxicShow: Handler = async (ctx, _req, res, [name, toxic]) => {
  const record = ctx.collection.get(name!).toxic(toxic!);
  if (!record) throw apiErrors.toxicNotFound();
  sendJson(res, 200, record);
};

const toxicUpdate: Handler = async (ctx, req, res, [name, toxic]) => {
  ctx.collection.get(name!);
  const body = await readJson(req);
  const updated = await ctx.serialize(async () => {
    const proxy = ctx.collection.get(name!);
    const existing = proxy.toxic(toxic!);
    if (!existing) throw apiErrors.toxicNotFound();
    const record = mergeToxicUpdate(existing, body, await toxicRules(ctx, proxy));
    proxy.updateToxic(record);
    return record;
  });
  sendJson(res, 200, updated);
};

const toxicDelete: Handler = async (ctx, _req, res, [name, toxic]) => {
  await ctx.serialize(async () => {
    if (!ctx.collection.get(name!).removeToxic(toxic!)) throw apiErrors.toxicNotFound();
  });
  sendEmpty(res, 204);
};

const reset: Handler = async (ctx, _req, res) => {
  const failed = await ctx.serialize(() => ctx.collection.reset());
  if (!failed.length) return sendEmpty(res, 204);
  // Every toxic is gone and every other proxy enabled; say which could not start.
  sendError(res, apiErrors.internal(`reset: ${failed.map((f) => `${f.proxy}: ${f.error}`).join('; ')}`), { failed });
};

const version: Handler = async (_ctx, _req, res) => {
  sendText(res, 200, 'application/json;charset=utf-8', `${JSON.stringify({ version: TOXIPROXY_API_VERSION, server: 'firebreak' })}\n`);
};

const metrics: Handler = async (ctx, _req, res) => {
  sendText(res, 200, ctx.metrics.contentType, await ctx.metrics.text());
};

const signals: Handler = async (ctx, _req, res, [name]) => {
  sendJson(res, 200, ctx.collection.get(name!).signals());
};

const ROUTES: Route[] = [
  { path: ['reset'], methods: { POST: reset } },
  { path: ['proxies'], methods: { GET: proxyIndex, POST: proxyCreate } },
  { path: ['populate'], methods: { POST: populate } },
  { path: ['proxies', ':'], methods: { GET: proxyShow, POST: proxyUpdate, PATCH: proxyUpdate, DELETE: proxyDelete } },
  { path: ['proxies', ':', 'toxics'], methods: { GET: toxicIndex, POST: toxicCreate } },
  { path: ['proxies', ':', 'toxics', ':'], methods: { GET: toxicShow, POST: toxicUpdate, PATCH: toxicUpdate, DELETE: toxicDelete } },
  { path: ['proxies', ':', 'signals'], methods: { GET: signals } },
  { path: ['version'], methods: { GET: version } },
  { path: ['metrics'], methods: { GET: metrics } },
];

/** Serves one API request: Toxiproxy's routes, statuses and error bodies. */
export async function handleApiRequest(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  try {
    checkAccess(ctx.access, req, res);
    if (ctx.closing) throw new ApiError('server is shutting down', 503);
    const { route, params } = match(new URL(req.url ?? '/', 'http://api').pathname);
    if (!route) throw new ApiError('not found', 404);
    const handler = route.methods[req.method as Method];
    if (!handler) {
      res.setHeader('Allow', Object.keys(route.methods).join(', '));
      throw new ApiError('method not allowed', 405);
    }
    await handler(ctx, req, res, params);
  } catch (err) {
    if (res.headersSent) return void res.destroy();
    if (err instanceof ApiError) sendError(res, err);
    else {
      ctx.logger.warn({ err }, 'API request failed without a status');
      sendError(res, apiErrors.internal((err as Error).message ?? String(err)));
    }
  } finally {
    ctx.logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'api request');
  }
}

function match(pathname: string): { route?: Route; params: string[] } {
  const parts = pathname.split('/').filter((p) => p !== '');
  for (const route of ROUTES) {
    if (route.path.length !== parts.length) continue;
    const params: string[] = [];
    const ok = route.path.every((seg, i) => {
      if (seg !== ':') return seg === parts[i];
      params.push(safeDecode(parts[i]!));
      return true;
    });
    if (ok) return { route, params };
  }
  return { params: [] };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

async function toxicRules(ctx: ApiContext, proxy: Proxy): Promise<ToxicRules> {
  const http = proxy.cohortSetup?.module ?? (await ctx.loadCohort().catch(() => undefined));
  return { cohortMode: Boolean(proxy.cohort), http, exists: (n) => proxy.toxic(n) !== undefined };
}
