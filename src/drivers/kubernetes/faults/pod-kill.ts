import { FirebreakError } from '../../../errors.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { FaultType } from '../../../faults/types.js';
import { formatDuration } from '../../../util/duration.js';
import { readDuration, readString, rejectUnknown } from '../../core/attrs.js';
import { checkDisruptionBudgets } from '../budgets.js';
import { isConflict, isNotFound, kubeCall, statusOf, type KubeConnection } from '../client.js';
import { podRef, readPod, type PodRef, type WorkloadRef } from '../targets.js';
import { waitUntil } from '../wait.js';
import { readiness, readWorkload } from '../workloads.js';
import { CALL_SLACK_MS, IGNORE_BUDGETS_ATTR, podLabel, readBoolean, seconds, type KubeFaultContext } from './common.js';

export interface PodKillAttrs {
  mode: 'delete' | 'evict';
  /** Grace period for the pod's containers; null: the pod's own terminationGracePeriodSeconds. */
  gracePeriodMs: number | null;
  recoveryTimeoutMs: number;
  ignoreDisruptionBudgets: boolean;
}

export interface PodKillState extends PodRef {
  workload: WorkloadRef;
  mode: 'delete' | 'evict';
  gracePeriodSeconds: number | null;
  recoveryTimeoutMs: number;
  /** The workload's ready count before the kill: recovery means reaching it again (or the desired count if lower). */
  readyBefore: number;
  /** Epoch ms of the kill (set by apply): the recovery window counts from it. */
  killedAt: number | null;
}

const DEFAULT_RECOVERY_MS = 60_000;

const ATTRS: readonly AttributeDoc[] = [
  { name: 'mode', kind: 'enum', values: ['delete', 'evict'], default: 'delete', summary: 'Delete the pod, or evict it through the eviction API (which the API server refuses when a PodDisruptionBudget would break).' },
  { name: 'gracePeriod', kind: 'duration', default: "the pod's terminationGracePeriodSeconds", summary: "The containers' time to stop (0s kills them at once)." },
  { name: 'recoveryTimeout', kind: 'duration', default: '60s', summary: 'How long, from the kill, the owner has to replace the pod and the workload to be ready again; longer is the finding.' },
  IGNORE_BUDGETS_ATTR,
];

/** Recovery times measured by revert in this process, for verify's report; verify works without them. */
const measured = new Map<string, number>();

/**
 * Deletes (or evicts) one pod of the canary, addressed by uid so that a replacement with the same name
 * is never hit. The revert cannot bring a pod back: it waits, within the recovery window counted from
 * the kill, for the owner to replace it and for the workload's ready count to come back, and verify
 * fails when it did not: that is the finding.
 */
export const podKill: FaultType<PodKillAttrs, PodKillState, KubeConnection> = {
  type: 'kubernetes.pod-kill',
  driver: 'kubernetes',
  summary: 'Deletes or evicts the pod; revert waits for its owner to replace it and the workload to be ready again, and reports the recovery time.',
  scope: 'target',
  attributes: ATTRS,
  example: { mode: 'delete', gracePeriod: '5s', recoveryTimeout: '2m' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const mode = readString(attrs, 'mode', issues) ?? 'delete';
    if (mode !== 'delete' && mode !== 'evict') issues.add('mode', `must be delete or evict, got ${JSON.stringify(mode)}`);
    const grace = readDuration(attrs, 'gracePeriod', issues);
    const recoveryTimeoutMs = readDuration(attrs, 'recoveryTimeout', issues, DEFAULT_RECOVERY_MS);
    if (recoveryTimeoutMs !== undefined && recoveryTimeoutMs <= 0) issues.add('recoveryTimeout', 'must be a positive duration');
    const ignoreDisruptionBudgets = readBoolean(attrs, 'ignoreDisruptionBudgets', issues);
    if (issues.count > before || recoveryTimeoutMs === undefined || ignoreDisruptionBudgets === undefined) return undefined;
    return { mode: mode as 'delete' | 'evict', gracePeriodMs: grace ?? null, recoveryTimeoutMs, ignoreDisruptionBudgets };
  },
  describe(a, target) {
    const grace = a.gracePeriodMs === null ? '' : ` (grace ${formatDuration(a.gracePeriodMs)})`;
    return `${a.mode === 'evict' ? 'evict' : 'delete'} ${podLabel(target)}${grace}; its owner has ${formatDuration(a.recoveryTimeoutMs)} to replace it`;
  },
  async prepare(ctx, a, target) {
    const ref = podRef(target, 'kubernetes.pod-kill');
    const pod = await readPod(ctx, ref);
    if (!pod) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `pod ${ref.namespace}/${ref.pod} (uid ${ref.uid}) no longer exists`);
    if (!ref.workload) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `pod ${ref.namespace}/${ref.pod} has no controller: nothing would replace it, so firebreak will not kill it`);
    if (!a.ignoreDisruptionBudgets && a.mode === 'delete') await checkDisruptionBudgets(ctx, [target!]);
    const w = await readWorkload(ctx, ref.workload);
    if (!w) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `the owner of pod ${ref.pod}, ${ref.workload.kind} ${ref.namespace}/${ref.workload.name}, no longer exists`);
    return {
      namespace: ref.namespace, pod: ref.pod, uid: ref.uid, workload: ref.workload, mode: a.mode,
      gracePeriodSeconds: a.gracePeriodMs === null ? null : seconds(a.gracePeriodMs),
      recoveryTimeoutMs: a.recoveryTimeoutMs, readyBefore: readiness(ref.workload.kind, w).ready, killedAt: null,
    };
  },
  async apply(ctx, s) {
    const conn = ctx.connection;
    const deleteOptions = { preconditions: { uid: s.uid }, ...(s.gracePeriodSeconds !== null ? { gracePeriodSeconds: s.gracePeriodSeconds } : {}) };
    const killedAt = Date.now();
    try {
      if (s.mode === 'evict') {
        await kubeCall(ctx, { verb: 'create', resource: 'pods/eviction', namespace: s.namespace, name: s.pod }, (o) =>
          conn.core.createNamespacedPodEviction({ namespace: s.namespace, name: s.pod, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: s.pod, namespace: s.namespace }, deleteOptions } }, o),
        );
      } else {
        await kubeCall(ctx, { verb: 'delete', resource: 'pods', namespace: s.namespace, name: s.pod }, (o) => conn.core.deleteNamespacedPod({ namespace: s.namespace, name: s.pod, body: deleteOptions }, o));
      }
    } catch (err) {
      // Gone already, or the name now belongs to a replacement (uid precondition): the pod meant is not running.
      if (isNotFound(err) || isConflict(err)) return { ...s, killedAt };
      if (statusOf(err) === 429) {
        throw new FirebreakError('FIREBREAK_E_DISRUPTION_BUDGET', `evicting pod ${s.namespace}/${s.pod} was refused: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
    return { ...s, killedAt };
  },
  async revert(ctx, s) {
    if (s.killedAt === null) return;
    const deadline = s.killedAt + s.recoveryTimeoutMs;
    const state = await waitUntil(ctx, { target: { verb: 'watch', resource: pluralOf(s.workload), group: 'apps', namespace: s.namespace }, watch: { path: `/apis/apps/v1/namespaces/${s.namespace}/${pluralOf(s.workload)}`, fieldSelector: `metadata.name=${s.workload.name}` }, deadline }, async () => {
      const r = await recovery(ctx, s);
      return r.ok ? r : undefined;
    });
    if (state) {
      const ms = Date.now() - s.killedAt;
      measured.set(ctx.instanceId, ms);
      ctx.logger.info({ pod: s.pod, workload: `${s.workload.kind}/${s.workload.name}`, recoveryMs: ms }, 'the workload recovered from the pod kill');
    } else {
      ctx.logger.warn({ pod: s.pod, workload: `${s.workload.kind}/${s.workload.name}`, windowMs: s.recoveryTimeoutMs }, 'the workload did not recover within the recovery window');
    }
  },
  async verify(ctx, s) {
    if (s.killedAt === null) return { ok: true, detail: 'the pod was never killed' };
    const r = await recovery(ctx, s);
    if (!r.ok) return { ok: false, detail: `${r.detail}, ${formatDuration(Date.now() - s.killedAt)} after the kill (recovery window ${formatDuration(s.recoveryTimeoutMs)})` };
    const ms = measured.get(ctx.instanceId);
    const time = ms !== undefined ? `recovered ${ms} ms after the kill` : r.readyAt !== undefined ? `recovered about ${Math.max(0, Math.round((r.readyAt - s.killedAt) / 1000))} s after the kill (from the replacement's Ready time, 1 s resolution)` : 'recovered';
    return { ok: true, detail: `${r.detail}; ${time}` };
  },
  budgetMs(s) {
    return s.recoveryTimeoutMs + CALL_SLACK_MS;
  },
};

function pluralOf(w: WorkloadRef): string {
  return { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', ReplicaSet: 'replicasets' }[w.kind] ?? 'deployments';
}

/**
 * Whether the workload has recovered: the killed pod (by uid) is gone, not merely terminating, and the
 * ready count is back to what it was before (or to the desired count, if that is now lower).
 */
async function recovery(ctx: KubeFaultContext, s: PodKillState): Promise<{ ok: boolean; detail: string; readyAt?: number }> {
  const w = await readWorkload(ctx, s.workload);
  const name = `${s.workload.kind} ${s.namespace}/${s.workload.name}`;
  if (!w) return { ok: false, detail: `${name} no longer exists` };
  const r = readiness(s.workload.kind, w);
  const old = await readPod(ctx, s);
  const target = Math.min(s.readyBefore, r.desired);
  const counts = `${r.ready}/${r.desired} ready (${target} needed)`;
  if (old) return { ok: false, detail: `${name}: pod ${s.pod} is still there${old.metadata?.deletionTimestamp ? ' (terminating)' : ''}; ${counts}` };
  if (!r.observed || r.ready < target) return { ok: false, detail: `${name}: ${counts}` };
  return { ok: true, detail: `${name} back to ${counts.replace(` (${target} needed)`, '')}, pod ${s.pod} replaced`, ...(await replacementReadyAt(ctx, s)) };
}

/** The latest Ready time among the workload's pods created after the kill (the API keeps whole seconds). */
async function replacementReadyAt(ctx: KubeFaultContext, s: PodKillState): Promise<{ readyAt?: number }> {
  if (s.killedAt === null) return {};
  const conn = ctx.connection;
  const w = await readWorkload(ctx, s.workload);
  const selector = w?.spec?.selector?.matchLabels as Record<string, string> | undefined;
  if (!selector) return {};
  const pods = await kubeCall(ctx, { verb: 'list', resource: 'pods', namespace: s.namespace }, (o) =>
    conn.core.listNamespacedPod({ namespace: s.namespace, labelSelector: Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') }, o),
  );
  let latest: number | undefined;
  for (const p of pods.items) {
    const created = toMs(p.metadata?.creationTimestamp);
    if (created === undefined || created < Math.floor(s.killedAt / 1000) * 1000) continue;
    const ready = (p.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True');
    const at = toMs(ready?.lastTransitionTime);
    if (at !== undefined) latest = Math.max(latest ?? 0, at);
  }
  return latest === undefined ? {} : { readyAt: latest };
}

function toMs(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

