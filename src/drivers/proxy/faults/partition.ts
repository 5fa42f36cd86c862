import type { FaultContext, FaultType, JsonObject } from '../../../faults/types.js';
import { readString, rejectUnknown } from '../../core/attrs.js';
import { callProxyApi, isUnreachable, proxyError, statusOf, type ProxyConnection } from '../client.js';
import { getProxyJson, goneWithProcess } from '../toxic-fault.js';

export interface PartitionAttrs {
  proxy: string;
}

export interface PartitionState extends JsonObject {
  url: string;
  embedded: boolean;
  proxy: string;
  /** Revert re-enables the proxy only if it was enabled before the fault. */
  wasEnabled: boolean;
}

type Ctx = FaultContext<ProxyConnection>;

/** Takes a proxy down (`enabled: false`): its listener and open connections close. */
export const proxyPartition: FaultType<PartitionAttrs, PartitionState, ProxyConnection> = {
  type: 'proxy.partition',
  driver: 'proxy',
  summary: 'Takes a proxy down: its listener closes and open connections are closed.',
  scope: 'none',
  parse(attrs, issues) {
    rejectUnknown(attrs, ['proxy'], issues);
    const proxy = readString(attrs, 'proxy', issues, true);
    return proxy === undefined ? undefined : { proxy };
  },
  describe: (a) => `partition: take proxy ${a.proxy} down`,
  async prepare(ctx, a) {
    const url = ctx.connection.url;
    const proxy = await getProxyJson(ctx, url, a.proxy);
    return { url, embedded: ctx.connection.embedded, proxy: a.proxy, wasEnabled: proxy.enabled === true };
  },
  async apply(ctx, s) {
    try {
      await setEnabled(ctx, s, false);
    } catch (err) {
      throw proxyError(err, `disable proxy "${s.proxy}"`);
    }
  },
  async revert(ctx, s) {
    if (!s.wasEnabled) return;
    try {
      await setEnabled(ctx, s, true);
    } catch (err) {
      if (statusOf(err) === 404) return void ctx.logger.warn({ proxy: s.proxy }, 'proxy no longer exists; nothing to re-enable');
      if (s.embedded && isUnreachable(err)) return goneWithProcess(ctx, s);
      throw proxyError(err, `re-enable proxy "${s.proxy}"`);
    }
  },
  async verify(ctx, s) {
    if (!s.wasEnabled) return { ok: true };
    try {
      const proxy = await callProxyApi(s.url, 'get proxy', ctx, (client) => client.get(s.proxy));
      return proxy.enabled ? { ok: true } : { ok: false, detail: `proxy "${s.proxy}" is still disabled` };
    } catch (err) {
      if (statusOf(err) === 404) return { ok: false, detail: `proxy "${s.proxy}" no longer exists` };
      if (s.embedded && isUnreachable(err)) return { ok: true, detail: 'the embedded proxy server is gone' };
      throw proxyError(err, `read proxy "${s.proxy}"`);
    }
  },
};

// Sends the proxy's own listen and upstream back so Toxiproxy's update sees no address change.
async function setEnabled(ctx: Ctx, s: PartitionState, enabled: boolean): Promise<void> {
  await callProxyApi(s.url, enabled ? 'enable proxy' : 'disable proxy', ctx, async (client) => {
    const proxy = await client.get(s.proxy);
    if (proxy.enabled !== enabled) await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
  });
}
