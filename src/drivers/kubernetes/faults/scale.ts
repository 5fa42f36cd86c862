import { FirebreakError } from '../../../errors.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { FaultType, JsonObject } from '../../../faults/types.js';
import { readNumber, rejectUnknown } from '../../core/attrs.js';
import { isInvalid, isNotFound, type KubeCallContext, type KubeConnection } from '../client.js';
import { hasMark, markData, markOps, unmarkOps } from '../marks.js';
import { guardedPatch, readOrUndefined, testUid, type KubeObject } from '../objects.js';
import type { WorkloadRef } from '../targets.js';
import { autoscalersOf, readWorkloadAttr, scaleOps, workloadOps } from '../workloads.js';
import { EXPIRES_AFTER_ATTR, expiresAt, NAMESPACE_ATTR, namespaceFor, readBoolean, readExpiresAfter, readNamespace } from './common.js';

export interface ScaleAttrs {
  kind: string;
  name: string;
  namespace: string | null;
  replicas: number;
  allowAutoscaler: boolean;
  expiresAfterMs: number;
}

export interface ScaleState extends JsonObject {
  workload: WorkloadRef;
  uid: string;
  /** The replica count before the fault: what the revert restores. */
  from: number;
  /** The count the fault sets: the revert restores only while it is still this (nobody changed it since). */
  to: number;
  runId: string;
  instanceId: string;
  expiresAt: string;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'workload', kind: 'string', required: true, summary: 'The workload to scale: deployment/<name>, statefulset/<name> or replicaset/<name>.' },
  NAMESPACE_ATTR,
  { name: 'replicas', kind: 'integer', required: true, min: 0, summary: 'The replica count while the fault is live (0 takes the workload down).' },
  { name: 'allowAutoscaler', kind: 'boolean', default: false, summary: 'Scale a workload a HorizontalPodAutoscaler manages (refused otherwise: it would fight the fault).' },
  EXPIRES_AFTER_ATTR,
];

/**
 * Sets a workload's replica count through its scale subresource, guarded by a JSON Patch `test` of the
 * count read at prepare. The revert writes the recorded count back only while the count is still the
 * one the fault set: anyone who changed it since (a person, a deploy) keeps their change. A workload an
 * autoscaler manages is refused unless `allowAutoscaler` (it would fight the fault, or restore before
 * firebreak does).
 */
export const scale: FaultType<ScaleAttrs, ScaleState, KubeConnection> = {
  type: 'kubernetes.scale',
  driver: 'kubernetes',
  summary: "Sets a Deployment's, StatefulSet's or ReplicaSet's replica count; revert restores the recorded count unless someone changed it since.",
  scope: 'none',
  attributes: ATTRS,
  example: { workload: 'deployment/web', namespace: 'shop', replicas: 1 },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const w = readWorkloadAttr(attrs, issues, ['Deployment', 'StatefulSet', 'ReplicaSet']);
    const namespace = readNamespace(attrs, issues);
    const replicas = readNumber(attrs, 'replicas', issues, { integer: true, min: 0, required: true });
    const allowAutoscaler = readBoolean(attrs, 'allowAutoscaler', issues);
    const expiresAfterMs = readExpiresAfter(attrs, issues);
    if (issues.count > before || !w || namespace === undefined || replicas === undefined || allowAutoscaler === undefined || expiresAfterMs === undefined) return undefined;
    return { kind: w.kind, name: w.name, namespace, replicas, allowAutoscaler, expiresAfterMs };
  },
  describe(a) {
    return `scale ${a.kind.toLowerCase()}/${a.name}${a.namespace ? ` in ${a.namespace}` : ''} to ${a.replicas} replica${a.replicas === 1 ? '' : 's'}`;
  },
  async prepare(ctx, a) {
    const namespace = await namespaceFor(ctx, a.namespace);
    const workload: WorkloadRef = { kind: a.kind, name: a.name, namespace };
    const current = await scaleOps(a.kind).read(ctx, namespace, a.name).catch((err: unknown) => {
      throw new FirebreakError('FIREBREAK_E_KUBERNETES', `cannot read the scale of ${a.kind} ${namespace}/${a.name}: ${(err as Error).message}`, { cause: err });
    });
    if (!a.allowAutoscaler) {
      const hpas = await autoscalersOf(ctx, workload);
      if (hpas.length) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `${a.kind} ${namespace}/${a.name} is managed by HorizontalPodAutoscaler ${hpas.join(', ')}, which would undo or fight the fault; set allowAutoscaler: true deliberately`);
    }
    return { workload, uid: current.uid, from: current.replicas, to: a.replicas, runId: ctx.runId, instanceId: ctx.instanceId, expiresAt: expiresAt(a.expiresAfterMs) };
  },
  async apply(ctx, s) {
    // The mark first, with the count to restore: a sweep can put it back even if the ledger is lost.
    await mark(ctx, s);
    try {
      await scaleOps(s.workload.kind).patch(ctx, s.workload.namespace, s.workload.name, [{ op: 'test', path: '/spec/replicas', value: s.from }, { op: 'replace', path: '/spec/replicas', value: s.to }], 'json');
    } catch (err) {
      if (!isInvalid(err)) throw err;
      const now = await scaleOps(s.workload.kind).read(ctx, s.workload.namespace, s.workload.name);
      if (now.replicas !== s.to) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `${s.workload.kind} ${s.workload.namespace}/${s.workload.name} changed from ${s.from} to ${now.replicas} replicas since the fault was prepared; not scaling it`, { cause: err });
    }
  },
  async revert(ctx, s) {
    await restoreScale(ctx, s, ctx.logger);
    await guardedPatch(workloadOps(s.workload), ctx, s.workload.namespace, s.workload.name, (w) => (w.metadata?.uid === s.uid ? testUid(s.uid, unmarkOps(w, 'scale', s.instanceId)) : undefined));
  },
  async verify(ctx, s) {
    const w = await readOrUndefined(workloadOps(s.workload), ctx, s.workload.namespace, s.workload.name);
    const name = `${s.workload.kind} ${s.workload.namespace}/${s.workload.name}`;
    if (!w || w.metadata?.uid !== s.uid) return { ok: true, detail: `${name} no longer exists` };
    if (hasMark(w, 'scale', s.instanceId)) return { ok: false, detail: `${name} still carries the scale fault's mark` };
    const replicas = w.spec?.replicas ?? 1;
    if (replicas === s.from) return { ok: true, detail: `${name} is back to ${s.from} replicas` };
    if (replicas === s.to) return { ok: false, detail: `${name} still has ${s.to} replicas (the fault's count), not ${s.from}` };
    return { ok: true, detail: `${name} has ${replicas} replicas: someone changed it after the fault, so firebreak left it` };
  },
};

async function mark(ctx: KubeCallContext, s: ScaleState): Promise<void> {
  await guardedPatch(workloadOps(s.workload), ctx, s.workload.namespace, s.workload.name, (w) => {
    if (w.metadata?.uid !== s.uid || hasMark(w, 'scale', s.instanceId)) return undefined;
    return testUid(s.uid, markOps(w, { fault: 'scale', runId: s.runId, instanceId: s.instanceId, expiresAt: s.expiresAt, data: JSON.stringify({ from: s.from, to: s.to }) }));
  });
}

/**
 * Writes `from` back while the count is `to`: a JSON Patch testing the count, so a change made in
 * between (by anyone) is never overwritten. Used by the revert (from the state) and by a sweep (from the
 * workload's own annotation).
 */
export async function restoreScale(ctx: KubeCallContext, s: { workload: WorkloadRef; from: number; to: number }, logger?: { warn(o: object, m: string): void }): Promise<'restored' | 'unchanged' | 'left'> {
  const ops = scaleOps(s.workload.kind);
  const { namespace, name, kind } = s.workload;
  for (let attempt = 0; attempt < 3; attempt++) {
    let current: number;
    try {
      current = (await ops.read(ctx, namespace, name)).replicas;
    } catch (err) {
      if (isNotFound(err)) return 'unchanged';
      throw err;
    }
    if (current === s.from) return 'unchanged';
    if (current !== s.to) {
      logger?.warn({ workload: `${kind}/${name}`, replicas: current, fault: s.to, before: s.from }, 'the replica count was changed by someone else after the fault; leaving it');
      return 'left';
    }
    try {
      await ops.patch(ctx, namespace, name, [{ op: 'test', path: '/spec/replicas', value: s.to }, { op: 'replace', path: '/spec/replicas', value: s.from }], 'json');
      return 'restored';
    } catch (err) {
      if (!isInvalid(err)) throw err;
    }
  }
  return 'left';
}

/** The counts recorded on a workload by a scale mark, for a sweep without a ledger. */
export function recordedScale(w: KubeObject): { from: number; to: number } | undefined {
  try {
    const v = JSON.parse(w.metadata?.annotations?.[markData('scale')] ?? '') as { from?: unknown; to?: unknown };
    return typeof v.from === 'number' && typeof v.to === 'number' ? { from: v.from, to: v.to } : undefined;
  } catch {
    return undefined;
  }
}
