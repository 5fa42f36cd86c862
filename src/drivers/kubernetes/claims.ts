import { FirebreakError } from '../../errors.js';
import type { Target } from '../../faults/types.js';
import type { TargetClaim } from '../types.js';
import type { KubeCallContext } from './client.js';
import { CLAIM, FIREBREAK, labelValue, MANAGED_BY, RUN_LABEL } from './marks.js';
import { guardedPatch, kindOps, pointer, testUid, type KindName, type KubeObject, type PatchOp } from './objects.js';

/** What a claim annotation holds: the run that holds the target, and which of its instances act on it. */
export interface ClaimRecord {
  runId: string;
  holder: string;
  expiresAt: string;
  instances: string[];
}

export function readClaim(obj: KubeObject): ClaimRecord | undefined {
  const raw = obj.metadata?.annotations?.[CLAIM];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<ClaimRecord>;
    if (typeof v.runId !== 'string' || typeof v.expiresAt !== 'string') return undefined;
    return { runId: v.runId, holder: String(v.holder ?? ''), expiresAt: v.expiresAt, instances: Array.isArray(v.instances) ? v.instances.map(String) : [] };
  } catch {
    return undefined;
  }
}

/** A claim is live until it expires; an unreadable one is not. */
export function claimLive(c: ClaimRecord | undefined, now = Date.now()): c is ClaimRecord {
  return c !== undefined && Date.parse(c.expiresAt) > now;
}

function targetKind(target: Target): { kind: KindName; namespace: string; name: string } {
  const kind = (typeof target.meta?.kind === 'string' ? target.meta.kind : 'Pod') as KindName;
  if (!['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(kind)) throw new FirebreakError('FIREBREAK_E_INTERNAL', `cannot claim a ${kind}`);
  const namespace = typeof target.meta?.namespace === 'string' ? target.meta.namespace : '';
  return { kind, namespace, name: typeof target.meta?.pod === 'string' ? target.meta.pod : target.name };
}

/**
 * Marks the target (a pod, or a workload) as under a fault of this run: an annotation `firebreak.dev/claim`
 * written with a JSON Patch that tests the object's resourceVersion (and uid), so of two runs claiming
 * at once exactly one wins; the other reads the winner's claim and gets FIREBREAK_E_TARGET_BUSY. A claim
 * of another run that has expired is taken over; one of this run gains this instance.
 */
export async function claimTarget(ctx: KubeCallContext, target: Target, claim: TargetClaim): Promise<void> {
  const { kind, namespace, name } = targetKind(target);
  const ops = kindOps(kind);
  const result = await guardedPatch(ops, ctx, namespace, name, (obj) => {
    if (obj.metadata?.uid !== target.id) throw busyGone(kind, namespace, name, target.id);
    const current = readClaim(obj);
    if (claimLive(current) && current.runId !== claim.runId) {
      throw new FirebreakError('FIREBREAK_E_TARGET_BUSY', `${kind} ${namespace}/${name} is under a fault of run ${current.runId} (held by ${current.holder} until ${current.expiresAt})`, { details: { claim: current } });
    }
    const mine = current && current.runId === claim.runId ? current : undefined;
    if (mine?.instances.includes(claim.instanceId) && mine.expiresAt >= claim.expiresAt) return undefined;
    const next: ClaimRecord = {
      runId: claim.runId,
      holder: claim.holder,
      expiresAt: mine && mine.expiresAt > claim.expiresAt ? mine.expiresAt : claim.expiresAt,
      instances: [...new Set([...(mine?.instances ?? []), claim.instanceId])],
    };
    return testUid(obj.metadata?.uid ?? '', claimOps(obj, JSON.stringify(next), claim.runId));
  });
  if (!result) throw busyGone(kind, namespace, name, target.id);
}

/** Takes this instance off the claim; the claim goes when no instance of its run is left. Another run's claim is left alone. */
export async function releaseTarget(ctx: KubeCallContext, target: Target, claim: TargetClaim): Promise<void> {
  const { kind, namespace, name } = targetKind(target);
  await guardedPatch(kindOps(kind), ctx, namespace, name, (obj) => {
    if (obj.metadata?.uid !== target.id) return undefined;
    const current = readClaim(obj);
    if (!current || current.runId !== claim.runId) return undefined;
    const left = current.instances.filter((i) => i !== claim.instanceId);
    if (left.length) return testUid(obj.metadata?.uid ?? '', claimOps(obj, JSON.stringify({ ...current, instances: left }), claim.runId));
    return testUid(obj.metadata?.uid ?? '', dropClaimOps(obj));
  });
}

function claimOps(obj: KubeObject, value: string, runId: string): PatchOp[] {
  const ops: PatchOp[] = [];
  if (!obj.metadata?.annotations) ops.push({ op: 'add', path: '/metadata/annotations', value: { [CLAIM]: value } });
  else ops.push({ op: 'add', path: `/metadata/annotations/${pointer(CLAIM)}`, value });
  const labels: Record<string, string> = { [RUN_LABEL]: labelValue(runId) };
  if (obj.metadata?.labels?.[MANAGED_BY] === undefined) labels[MANAGED_BY] = FIREBREAK;
  if (!obj.metadata?.labels) ops.push({ op: 'add', path: '/metadata/labels', value: labels });
  else for (const [k, v] of Object.entries(labels)) ops.push({ op: 'add', path: `/metadata/labels/${pointer(k)}`, value: v });
  return ops;
}

/** Removes the claim, and the shared labels when no fault's mark is left on the object. */
export function dropClaimOps(obj: KubeObject): PatchOp[] {
  const ops: PatchOp[] = [];
  if (obj.metadata?.annotations?.[CLAIM] !== undefined) ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(CLAIM)}` });
  const labels = obj.metadata?.labels ?? {};
  const marked = Object.keys(labels).some((k) => k.startsWith('firebreak.dev/') && k !== RUN_LABEL);
  if (!marked) {
    if (labels[RUN_LABEL] !== undefined) ops.push({ op: 'remove', path: `/metadata/labels/${pointer(RUN_LABEL)}` });
    if (labels[MANAGED_BY] === FIREBREAK) ops.push({ op: 'remove', path: `/metadata/labels/${pointer(MANAGED_BY)}` });
  }
  return ops;
}

function busyGone(kind: string, namespace: string, name: string, uid: string): FirebreakError {
  return new FirebreakError('FIREBREAK_E_KUBERNETES', `${kind} ${namespace}/${name} (uid ${uid}) no longer exists; nothing to claim`);
}
