import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { FaultContext, FaultType, JsonObject } from '../../../faults/types.js';
import { readString, rejectUnknown } from '../../core/attrs.js';
import type { ToxicCohort } from '../attrs.js';
import { callProxyApi, isUnreachable, proxyError, statusOf, type ProxyConnection } from '../client.js';
import { getProxyJson, goneWithProcess, toxicFault, type ToxicFaultState } from '../toxic-fault.js';

export interface PartitionAttrs {
  proxy: string;
  /** On a proxy in cohort mode: whose requests are cut off (default canary); `all` takes the proxy down. */
  cohort?: ToxicCohort;
}

/** The whole proxy down (`enabled: false`). */
export interface DisableState extends JsonObject {
  url: string;
  embedded: boolean;
  proxy: string;
  /** Revert re-enables the proxy only if it was enabled before the fault. */
  wasEnabled: boolean;
}

/** One cohort cut off: a `timeout` toxic that holds its requests unanswered until reverted. */
export type CohortPartitionState = ToxicFaultState & { partition: 'cohort' };

export type PartitionState = DisableState | CohortPartitionState;

type Ctx = FaultContext<ProxyConnection>;

const ATTRS: readonly AttributeDoc[] = [
  { name: 'proxy', kind: 'string', required: true, summary: 'The proxy to act on, by name.' },
  { name: 'cohort', kind: 'enum', values: ['canary', 'control', 'all'], default: 'canary', summary: 'On a proxy in HTTP cohort mode, the cohort cut off; all (or a plain TCP proxy) takes the whole proxy down.' },
];

// A cohort's partition is a black hole: its requests are held with no answer (as packets dropped on a
// cut link would be) until the fault is reverted, then their connections close.
const cohortHold = toxicFault({
  type: 'proxy.partition',
  toxic: 'timeout',
  summary: '',
  attributes: [],
  example: {},
  stream: false,
  read: () => ({ timeout: 0 }),
  describe: (a) => `partition: hold the ${a.cohort ?? 'canary'} cohort's requests to ${a.proxy} unanswered`,
});

/**
 * A network partition. On a plain TCP proxy (or with `cohort: all`) the proxy goes down: its listener
 * and open connections close, for everyone. On a proxy in cohort mode only the chosen cohort is cut
 * off (the canary by default), so the control keeps being measured beside it.
 */
export const proxyPartition: FaultType<PartitionAttrs, PartitionState, ProxyConnection> = {
  type: 'proxy.partition',
  driver: 'proxy',
  summary: 'Cuts a cohort off (proxy in cohort mode: its requests held unanswered) or takes a whole proxy down (listener and connections closed).',
  scope: 'none',
  attributes: ATTRS,
  example: { proxy: 'payments' },
  parse(attrs, issues) {
    rejectUnknown(attrs, ATTRS, issues);
    const proxy = readString(attrs, 'proxy', issues, true);
    const cohort = attrs.cohort;
    if (cohort !== undefined && cohort !== 'canary' && cohort !== 'control' && cohort !== 'all') {
      issues.add('cohort', `must be canary, control or all, got ${JSON.stringify(cohort)}`, 'canary (default), control or all (the whole proxy down)');
      return undefined;
    }
    return proxy === undefined ? undefined : { proxy, ...(cohort ? { cohort: cohort as ToxicCohort } : {}) };
  },
  describe: (a) => (a.cohort === 'all' ? `partition: take proxy ${a.proxy} down` : `partition: cut the ${a.cohort ?? 'canary'} cohort off ${a.proxy} (whole proxy if it is plain TCP)`),
  async prepare(ctx, a) {
    const url = ctx.connection.url;
    const proxy = await getProxyJson(ctx, url, a.proxy);
    if (proxy.cohort && a.cohort !== 'all') {
      const state = await cohortHold.prepare(ctx, { proxy: a.proxy, stream: 'downstream', toxicity: 1, cohort: a.cohort ?? 'canary', attributes: { timeout: 0, cohort: a.cohort ?? 'canary' } });
      const cut: CohortPartitionState = { ...state, partition: 'cohort' };
      return cut;
    }
    const down: DisableState = { url, embedded: ctx.connection.embedded, proxy: a.proxy, wasEnabled: proxy.enabled === true };
    return down;
  },
  async apply(ctx, s) {
    if (isCohort(s)) return void (await cohortHold.apply(ctx, s));
    try {
      await setEnabled(ctx, s, false);
    } catch (err) {
      throw proxyError(err, `disable proxy "${s.proxy}"`);
    }
  },
  async revert(ctx, s) {
    if (isCohort(s)) return cohortHold.revert(ctx, s);
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
    if (isCohort(s)) return cohortHold.verify!(ctx, s);
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
  async reach(ctx, s) {
    return isCohort(s) ? cohortHold.reach!(ctx, s) : undefined;
  },
};

function isCohort(s: PartitionState): s is CohortPartitionState {
  return (s as CohortPartitionState).partition === 'cohort';
}

// Sends the proxy's own listen and upstream back so Toxiproxy's update sees no address change.
async function setEnabled(ctx: Ctx, s: DisableState, enabled: boolean): Promise<void> {
  await callProxyApi(s.url, enabled ? 'enable proxy' : 'disable proxy', ctx, async (client) => {
    const proxy = await client.get(s.proxy);
    if (proxy.enabled !== enabled) await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
  });
}
