import type * as K8s from '@kubernetes/client-node';
import { FirebreakError } from '../../../errors.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { FaultType } from '../../../faults/types.js';
import { readString, rejectUnknown } from '../../core/attrs.js';
import { isConflict, isNotFound, kubeCall, type KubeConnection } from '../client.js';
import { hasMark, INSTANCE_LABEL, labelValue, markLabel, markOps, objectName, ownedMeta, unmarkOps } from '../marks.js';
import { guardedPatch, kindOps, readOrUndefined, testUid } from '../objects.js';
import { podRef, readPod, type PodRef } from '../targets.js';
import { EXPIRES_AFTER_ATTR, expiresAt, podLabel, readBoolean, readExpiresAfter, type KubeFaultContext } from './common.js';

export type Direction = 'ingress' | 'egress' | 'both';

export interface PartitionAttrs {
  direction: Direction;
  allowDns: boolean;
  expiresAfterMs: number;
}

export interface PartitionState extends PodRef {
  /** The NetworkPolicy this instance creates (`fb-<instance>`), selecting `firebreak.dev/partition=<instance>`. */
  policy: string;
  direction: Direction;
  allowDns: boolean;
  runId: string;
  instanceId: string;
  expiresAt: string;
}

const POD = kindOps('Pod');
const POLICY = kindOps('NetworkPolicy');
let warned = false;

const ATTRS: readonly AttributeDoc[] = [
  { name: 'direction', kind: 'enum', values: ['ingress', 'egress', 'both'], default: 'both', summary: 'Which traffic the NetworkPolicy stops: into the pod, out of it, or both.' },
  { name: 'allowDns', kind: 'boolean', default: true, summary: 'Let the pod still reach DNS (port 53) when egress is cut.' },
  EXPIRES_AFTER_ATTR,
];

/**
 * Cuts one canary pod off the network: labels exactly that pod with `firebreak.dev/partition=<instance>`
 * and creates a NetworkPolicy selecting that label that allows nothing in (ingress), out (egress) or
 * either (both), but DNS unless told otherwise. It takes effect only with a network plugin that
 * enforces NetworkPolicy; connections already open and mesh sidecars may survive it: check the
 * effect with a probe. Revert removes the label and deletes the policy.
 */
export const partition: FaultType<PartitionAttrs, PartitionState, KubeConnection> = {
  type: 'kubernetes.partition',
  driver: 'kubernetes',
  summary: 'Isolates the pod with a NetworkPolicy (ingress, egress or both; DNS allowed by default); revert deletes the policy and the label. Needs an enforcing network plugin.',
  scope: 'target',
  attributes: ATTRS,
  example: { direction: 'ingress', allowDns: true },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const direction = readString(attrs, 'direction', issues) ?? 'both';
    if (!['ingress', 'egress', 'both'].includes(direction)) issues.add('direction', `must be ingress, egress or both, got ${JSON.stringify(direction)}`);
    const allowDns = readBoolean(attrs, 'allowDns', issues, true);
    const expiresAfterMs = readExpiresAfter(attrs, issues);
    if (issues.count > before || allowDns === undefined || expiresAfterMs === undefined) return undefined;
    return { direction: direction as Direction, allowDns, expiresAfterMs };
  },
  describe(a, target) {
    const what = a.direction === 'both' ? 'all traffic' : a.direction === 'ingress' ? 'incoming traffic' : 'outgoing traffic';
    return `block ${what} of ${podLabel(target)} with a NetworkPolicy${a.allowDns && a.direction !== 'ingress' ? ' (DNS still allowed)' : ''}`;
  },
  async prepare(ctx, a, target) {
    const ref = podRef(target, 'kubernetes.partition');
    if (!(await readPod(ctx, ref))) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `pod ${ref.namespace}/${ref.pod} (uid ${ref.uid}) no longer exists`);
    if (!warned) {
      warned = true;
      ctx.logger.warn('kubernetes.partition works only where the network plugin enforces NetworkPolicy (Calico, Cilium, ...); connections already open and mesh sidecars may survive it: check its effect with a probe');
    }
    return { namespace: ref.namespace, pod: ref.pod, uid: ref.uid, policy: objectName(ctx.instanceId), direction: a.direction, allowDns: a.allowDns, runId: ctx.runId, instanceId: ctx.instanceId, expiresAt: expiresAt(a.expiresAfterMs) };
  },
  async apply(ctx, s) {
    await createPolicy(ctx, s);
    const pod = await guardedPatch(POD, ctx, s.namespace, s.pod, (p) => (p.metadata?.uid !== s.uid || hasMark(p, 'partition', s.instanceId) ? undefined : testUid(s.uid, markOps(p, { fault: 'partition', runId: s.runId, instanceId: s.instanceId, expiresAt: s.expiresAt }))));
    if (!pod || pod.metadata?.uid !== s.uid) ctx.logger.warn({ pod: s.pod }, 'the pod went away before it could be labelled; the partition has nothing to act on');
  },
  async revert(ctx, s) {
    await guardedPatch(POD, ctx, s.namespace, s.pod, (p) => (p.metadata?.uid === s.uid ? testUid(s.uid, unmarkOps(p, 'partition', s.instanceId)) : undefined));
    await deleteOwnPolicy(ctx, s);
  },
  async verify(ctx, s) {
    const policy = await readOrUndefined(POLICY, ctx, s.namespace, s.policy);
    if (policy && policy.metadata?.labels?.[INSTANCE_LABEL] === labelValue(s.instanceId)) return { ok: false, detail: `NetworkPolicy ${s.namespace}/${s.policy} still exists` };
    const pod = await readPod(ctx, s);
    if (pod && hasMark(pod, 'partition', s.instanceId)) return { ok: false, detail: `pod ${s.namespace}/${s.pod} still carries ${markLabel('partition')}` };
    return { ok: true, detail: `NetworkPolicy ${s.policy} deleted; pod ${s.pod} ${pod ? 'unlabelled' : 'gone'}` };
  },
};

/** The NetworkPolicy: selects this instance's label; no rule for a direction blocks it; DNS (port 53) stays open for egress. */
export function policyFor(s: PartitionState): K8s.V1NetworkPolicy {
  const types = s.direction === 'both' ? ['Ingress', 'Egress'] : s.direction === 'ingress' ? ['Ingress'] : ['Egress'];
  const egress = s.allowDns ? [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] : [];
  const meta = ownedMeta(s.runId, s.instanceId, s.expiresAt);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: s.policy, namespace: s.namespace, labels: meta.labels, annotations: { ...meta.annotations, 'firebreak.dev/pod': s.pod } },
    spec: {
      podSelector: { matchLabels: { [markLabel('partition')]: labelValue(s.instanceId) } },
      policyTypes: types,
      ...(types.includes('Ingress') ? { ingress: [] } : {}),
      ...(types.includes('Egress') ? { egress } : {}),
    },
  } as K8s.V1NetworkPolicy;
}

async function createPolicy(ctx: KubeFaultContext, s: PartitionState): Promise<void> {
  const conn = ctx.connection;
  try {
    await kubeCall(ctx, { verb: 'create', resource: 'networkpolicies', group: 'networking.k8s.io', namespace: s.namespace }, (o) => conn.networking.createNamespacedNetworkPolicy({ namespace: s.namespace, body: policyFor(s) }, o));
  } catch (err) {
    if (!isConflict(err)) throw err;
    const existing = await readOrUndefined(POLICY, ctx, s.namespace, s.policy);
    if (existing?.metadata?.labels?.[INSTANCE_LABEL] !== labelValue(s.instanceId)) {
      throw new FirebreakError('FIREBREAK_E_KUBERNETES', `a NetworkPolicy ${s.namespace}/${s.policy} exists and is not this instance's`, { cause: err });
    }
  }
}

/** Deletes the policy if it is this instance's (by its label; by uid precondition so nothing else of that name is hit). */
export async function deleteOwnPolicy(ctx: KubeFaultContext | Parameters<typeof readOrUndefined>[1], s: Pick<PartitionState, 'namespace' | 'policy' | 'instanceId'>): Promise<void> {
  const existing = await readOrUndefined(POLICY, ctx, s.namespace, s.policy);
  if (!existing || existing.metadata?.labels?.[INSTANCE_LABEL] !== labelValue(s.instanceId)) return;
  const conn = ctx.connection;
  try {
    await kubeCall(ctx, { verb: 'delete', resource: 'networkpolicies', group: 'networking.k8s.io', namespace: s.namespace, name: s.policy }, (o) =>
      conn.networking.deleteNamespacedNetworkPolicy({ namespace: s.namespace, name: s.policy, body: { preconditions: { uid: existing.metadata!.uid! } } }, o),
    );
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}
