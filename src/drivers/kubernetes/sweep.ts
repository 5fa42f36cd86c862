import type { Logger } from 'pino';
import { describeError } from '../../errors.js';
import type { SweepItem, SweepOptions } from '../types.js';
import { kubeCall, statusOf, type KubeCallContext } from './client.js';
import { claimLive, dropClaimOps, readClaim } from './claims.js';
import { deleteOwnPolicy } from './faults/partition.js';
import { restoreOps, recordedImages } from './faults/pod-failure.js';
import { removeRoute } from './faults/mesh-route.js';
import { recordedScale, restoreScale } from './faults/scale.js';
import { CLAIM, EXPIRES_AT, FIREBREAK, INSTANCE_LABEL, MANAGED_BY, markExpiry, markLabel, RUN_LABEL, runOfInstance, unmarkOps, type FaultMark } from './marks.js';
import { guardedPatch, kindOps, testUid, type KindName, type KubeObject } from './objects.js';

type SweepContext = KubeCallContext & { logger: Logger };

/**
 * Finds, by their labels, what Kubernetes faults left behind when a ledger was lost, and reverts what
 * has expired or whose run is over (never a live run's): firebreak's NetworkPolicies are deleted, pods
 * lose partition labels and get their recorded images back, workloads get their recorded replica count
 * back (only while it is still the fault's), VirtualServices lose their `fb-` routes, stale claims go.
 * In the allow-listed namespaces, else every namespace the caller may list, else the context's.
 */
export async function sweepKubernetes(ctx: SweepContext, opts: SweepOptions): Promise<SweepItem[]> {
  const items: SweepItem[] = [];
  for (const namespace of await sweepNamespaces(ctx)) {
    await sweepPolicies(ctx, opts, namespace, items);
    for (const kind of ['Pod', 'Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet'] as const) await sweepMarked(ctx, opts, namespace, kind, items);
    await sweepRoutes(ctx, opts, namespace, items);
  }
  return items;
}

async function sweepNamespaces(ctx: SweepContext): Promise<string[]> {
  const conn = ctx.connection;
  if (conn.config.namespaces) return conn.config.namespaces;
  try {
    const list = await kubeCall(ctx, { verb: 'list', resource: 'namespaces' }, (o) => conn.core.listNamespace({}, o));
    return list.items.map((n) => n.metadata?.name ?? '').filter(Boolean);
  } catch (err) {
    if (statusOf(err) !== 403) throw err;
    ctx.logger.warn({ namespace: conn.defaultNamespace }, 'cannot list namespaces; sweeping the context namespace only (set target.kubernetes.namespaces to sweep others)');
    return [conn.defaultNamespace];
  }
}

/** Why a mark is an orphan, or undefined when it may still belong to a live run. */
function orphan(opts: SweepOptions, runId: string, expiresAt: string | undefined): string | undefined {
  if (expiresAt && Date.parse(expiresAt) <= opts.now) return `expired at ${expiresAt}`;
  if (!opts.isRunLive(runId)) return `run ${runId} is over`;
  return undefined;
}

async function act(items: SweepItem[], opts: SweepOptions, base: Omit<SweepItem, 'ok' | 'error'>, work: () => Promise<unknown>): Promise<void> {
  if (opts.dryRun) {
    items.push({ ...base, action: `would ${base.action}`, ok: true });
    return;
  }
  try {
    await work();
    items.push({ ...base, ok: true });
  } catch (err) {
    items.push({ ...base, ok: false, error: describeError(err).message });
  }
}

async function sweepPolicies(ctx: SweepContext, opts: SweepOptions, namespace: string, items: SweepItem[]): Promise<void> {
  const policies = await kindOps('NetworkPolicy').list(ctx, namespace, `${MANAGED_BY}=${FIREBREAK},${INSTANCE_LABEL}`);
  for (const p of policies) {
    const instanceId = p.metadata?.labels?.[INSTANCE_LABEL] ?? '';
    const runId = p.metadata?.labels?.[RUN_LABEL] ?? runOfInstance(instanceId);
    const why = orphan(opts, runId, p.metadata?.annotations?.[EXPIRES_AT]);
    if (!why) continue;
    await act(items, opts, { object: `NetworkPolicy ${namespace}/${p.metadata?.name}`, runId, reason: why, action: 'delete it' }, () => deleteOwnPolicy(ctx, { namespace, policy: p.metadata!.name!, instanceId }));
  }
}

/** Pods and workloads carrying a fault's mark or a claim: each mark is reverted from what it recorded on the object. */
async function sweepMarked(ctx: SweepContext, opts: SweepOptions, namespace: string, kind: KindName, items: SweepItem[]): Promise<void> {
  const ops = kindOps(kind);
  const objects = await ops.list(ctx, namespace, RUN_LABEL);
  for (const obj of objects) {
    const name = obj.metadata?.name ?? '';
    const where = `${kind} ${namespace}/${name}`;
    for (const fault of ['partition', 'pod-failure', 'scale'] as FaultMark[]) {
      const instanceId = obj.metadata?.labels?.[markLabel(fault)];
      if (instanceId === undefined) continue;
      const runId = runOfInstance(instanceId);
      const why = orphan(opts, runId, obj.metadata?.annotations?.[markExpiry(fault)]);
      if (!why) continue;
      await act(items, opts, { object: `${where} (kubernetes.${fault})`, runId, reason: why, action: actionOf(fault) }, () => revertMark(ctx, kind, namespace, name, fault, obj));
    }
    const claim = readClaim(obj);
    if (obj.metadata?.annotations?.[CLAIM] !== undefined && (!claimLive(claim, opts.now) || !opts.isRunLive(claim.runId))) {
      const runId = claim?.runId ?? '';
      const reason = !claim ? 'unreadable' : Date.parse(claim.expiresAt) <= opts.now ? `expired at ${claim.expiresAt}` : `run ${runId} is over`;
      await act(items, opts, { object: `${where} (claim)`, runId, reason, action: 'remove the claim' }, () =>
        guardedPatch(ops, ctx, namespace, name, (o) => (o.metadata?.uid === obj.metadata?.uid ? testUid(o.metadata?.uid ?? '', dropClaimOps(o)) : undefined)),
      );
    }
  }
}

function actionOf(fault: FaultMark): string {
  return fault === 'partition' ? 'remove the partition label' : fault === 'pod-failure' ? 'restore the recorded images' : 'restore the recorded replica count';
}

async function revertMark(ctx: SweepContext, kind: KindName, namespace: string, name: string, fault: FaultMark, seen: KubeObject): Promise<void> {
  const uid = seen.metadata?.uid ?? '';
  if (fault === 'scale') {
    const counts = recordedScale(seen);
    if (counts && kind !== 'Pod' && kind !== 'DaemonSet') await restoreScale(ctx, { workload: { kind, name, namespace }, ...counts }, ctx.logger);
  }
  await guardedPatch(kindOps(kind), ctx, namespace, name, (o) => {
    if (o.metadata?.uid !== uid) return undefined;
    if (fault === 'pod-failure') {
      const rec = recordedImages(o);
      return rec ? restoreOps(o, rec.originals, rec.image, undefined) : testUid(uid, unmarkOps(o, fault, undefined));
    }
    return testUid(uid, unmarkOps(o, fault, undefined));
  });
}

async function sweepRoutes(ctx: SweepContext, opts: SweepOptions, namespace: string, items: SweepItem[]): Promise<void> {
  for (const version of ['v1beta1', 'v1']) {
    let services: KubeObject[];
    try {
      services = await kindOps('VirtualService', version).list(ctx, namespace, RUN_LABEL);
    } catch (err) {
      if (statusOf(err) === 404) continue; // no Istio (or not this version) in the cluster
      throw err;
    }
    for (const vs of services) {
      for (const route of (vs.spec?.http ?? []) as { name?: string; fault?: { delay?: unknown } }[]) {
        if (!route.name?.startsWith('fb-')) continue;
        const mark: FaultMark = route.fault?.delay ? 'mesh-delay' : 'mesh-abort';
        const runId = runOfInstance(route.name.slice(3));
        const why = orphan(opts, runId, vs.metadata?.annotations?.[markExpiry(mark)]);
        if (!why) continue;
        await act(items, opts, { object: `VirtualService ${namespace}/${vs.metadata?.name} route ${route.name}`, runId, reason: why, action: 'remove the route' }, () =>
          removeRoute(ctx, { namespace, virtualService: vs.metadata!.name!, routeName: route.name!, istioVersion: version }, mark),
        );
      }
    }
    return;
  }
}
