import type { ToxicType as ClientToxicType } from 'toxiproxy-node-client';
import { FirebreakError } from '../../errors.js';
import type { AttributeDoc } from '../../experiment/attributes.js';
import type { IssueSink } from '../../experiment/issues.js';
import type { FaultContext, FaultType, JsonObject } from '../../faults/types.js';
import { rejectUnknown } from '../core/attrs.js';
import { COMMON_TOXIC_ATTRS, readCommon, type CommonToxicAttrs } from './attrs.js';
import { callProxyApi, isUnreachable, proxyError, statusOf, type ProxyConnection } from './client.js';

/** A toxic fault's attributes: the common ones plus the toxic's own, as the proxy API takes them. */
export interface ToxicFaultAttrs extends CommonToxicAttrs {
  attributes: { [key: string]: number | string };
}

/** Everything a revert needs, from a fresh process: where the API is and exactly what was added. */
export interface ToxicFaultState extends JsonObject {
  url: string;
  /** The server was the run's embedded one: if it is gone, so is the toxic. */
  embedded: boolean;
  proxy: string;
  toxic: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: { [key: string]: number | string };
}

export interface ToxicFaultSpec {
  type: string;
  /** The proxy API's toxic type. */
  toxic: string;
  summary: string;
  /** The fault's own attributes (the common ones are added). */
  attributes: readonly AttributeDoc[];
  /** Its own attributes in a working example (a proxy name is added). */
  example: Record<string, unknown>;
  /** Reads the fault's own attributes into the toxic's attributes. */
  read(attrs: Record<string, unknown>, issues: IssueSink): ToxicFaultAttrs['attributes'] | undefined;
  describe(a: ToxicFaultAttrs): string;
  /** Whether `stream` applies (HTTP toxics act on whole requests). */
  stream?: boolean;
  /** Checks the proxy (its API JSON) can take this toxic; throws FirebreakError if not. */
  check?(proxy: Record<string, unknown>, a: ToxicFaultAttrs): void;
}

type Ctx = FaultContext<ProxyConnection>;

/** Builds a fault that adds one named toxic on apply and removes exactly that toxic on revert. */
export function toxicFault(spec: ToxicFaultSpec): FaultType<ToxicFaultAttrs, ToxicFaultState, ProxyConnection> {
  const attributes = [...COMMON_TOXIC_ATTRS.filter((d) => spec.stream !== false || d.name !== 'stream'), ...spec.attributes];
  return {
    type: spec.type,
    driver: 'proxy',
    summary: spec.summary,
    scope: 'none',
    attributes,
    example: { proxy: 'payments', ...spec.example },
    parse(attrs, issues) {
      rejectUnknown(attrs, attributes, issues);
      const base = readCommon(attrs, issues, { stream: spec.stream });
      const own = spec.read(attrs, issues);
      if (!base || !own) return undefined;
      return { ...base, attributes: { ...own, ...(base.cohort ? { cohort: base.cohort } : {}) } };
    },
    describe: (a) => spec.describe(a),
    async prepare(ctx, a) {
      const url = ctx.connection.url;
      const proxy = await getProxyJson(ctx, url, a.proxy);
      spec.check?.(proxy, a);
      return {
        url,
        embedded: ctx.connection.embedded,
        proxy: a.proxy,
        toxic: `fb-${ctx.instanceId}`,
        type: spec.toxic,
        stream: a.stream,
        toxicity: a.toxicity,
        attributes: a.attributes,
      };
    },
    async apply(ctx, s) {
      try {
        await callProxyApi(s.url, 'add toxic', ctx, async (client) => {
          const proxy = await client.get(s.proxy);
          await proxy.addToxic({ name: s.toxic, type: s.type as ClientToxicType, stream: s.stream as 'upstream' | 'downstream', toxicity: s.toxicity, attributes: s.attributes });
        });
      } catch (err) {
        // Same name means this instance added it already (an apply retried after a crash).
        if (statusOf(err) === 409) return;
        throw proxyError(err, `add ${s.type} toxic "${s.toxic}" to proxy "${s.proxy}"`);
      }
    },
    async revert(ctx, s) {
      try {
        await callProxyApi(s.url, 'remove toxic', ctx, async (client) => {
          const toxic = await (await client.get(s.proxy)).getToxic(s.toxic);
          await toxic.remove();
        });
      } catch (err) {
        if (statusOf(err) === 404) return; // toxic or proxy gone: nothing left to remove
        if (s.embedded && isUnreachable(err)) return goneWithProcess(ctx, s);
        throw proxyError(err, `remove toxic "${s.toxic}" from proxy "${s.proxy}"`);
      }
    },
    reach: (ctx, s) => proxyReach(ctx, s),
    async verify(ctx, s) {
      try {
        await callProxyApi(s.url, 'get toxic', ctx, async (client) => (await client.get(s.proxy)).getToxic(s.toxic));
        return { ok: false, detail: `toxic "${s.toxic}" is still on proxy "${s.proxy}"` };
      } catch (err) {
        if (statusOf(err) === 404) return { ok: true };
        if (s.embedded && isUnreachable(err)) return { ok: true, detail: 'the embedded proxy server is gone, and its toxics with it' };
        throw proxyError(err, `read toxic "${s.toxic}" of proxy "${s.proxy}"`);
      }
    },
  };
}

/** The proxy's JSON as the API shows it (with extension fields the typed client drops). */
export async function getProxyJson(ctx: Ctx, url: string, name: string): Promise<Record<string, unknown>> {
  try {
    const res = await callProxyApi(url, 'get proxy', ctx, (client) => client.getApi().get<Record<string, unknown>>(`${url}/proxies/${encodeURIComponent(name)}`));
    return res.data;
  } catch (err) {
    if (statusOf(err) === 404) throw new FirebreakError('FIREBREAK_E_PROXY', `no proxy named "${name}" at ${url}`, { cause: err });
    throw proxyError(err, `show proxy "${name}"`);
  }
}

/**
 * Requests that have arrived at a proxy in cohort mode so far, per cohort (its signals' `arrived`
 * counters); undefined for a plain TCP proxy, whose traffic has no cohorts.
 */
export async function proxyReach(ctx: Ctx, s: { url: string; proxy: string }): Promise<Partial<Record<'canary' | 'control' | 'untouched', number>> | undefined> {
  const body = await callProxyApi(s.url, 'read signals', ctx, (client) =>
    client.getApi().get<{ mode?: string; cohorts?: Record<string, { arrived?: number; requests?: number }> }>(`${s.url}/proxies/${encodeURIComponent(s.proxy)}/signals`),
  ).then((r) => r.data);
  if (body.mode !== 'http' || !body.cohorts) return undefined;
  const out: Partial<Record<'canary' | 'control' | 'untouched', number>> = {};
  for (const c of ['canary', 'control', 'untouched'] as const) {
    const v = body.cohorts[c];
    out[c] = v?.arrived ?? v?.requests ?? 0;
  }
  return out;
}

export function goneWithProcess(ctx: Ctx, s: { url: string; proxy: string }): void {
  ctx.logger.info({ url: s.url, proxy: s.proxy }, 'embedded proxy server is gone with its process; nothing left to revert');
}
