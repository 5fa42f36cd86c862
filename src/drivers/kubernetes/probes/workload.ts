import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { ValueProbeType } from '../../../probes/types.js';
import { rejectUnknown } from '../../core/attrs.js';
import { kubeCall, probeError, type KubeConnection } from '../client.js';
import { NAMESPACE_ATTR, readNamespace } from '../faults/common.js';
import { readiness, readWorkload, readWorkloadAttr } from '../workloads.js';

export interface WorkloadProbeAttrs {
  kind: string;
  name: string;
  namespace: string | null;
}

export interface WorkloadValue {
  workload: string;
  exists: boolean;
  desired: number;
  ready: number;
  available: number;
  updated: number;
  unavailable: number;
  /** Container restarts summed over the workload's pods. */
  restarts: number;
  pods: number;
  /** Ready equals desired and the controller saw the latest spec. */
  allReady: boolean;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'workload', kind: 'string', required: true, summary: 'deployment/<name>, statefulset/<name>, daemonset/<name> or replicaset/<name>.' },
  NAMESPACE_ATTR,
];

/**
 * A workload's availability as its status reports it (desired, ready, available, updated) and the
 * restarts of its pods. A workload that is down or gone is a measured value (exists: false, ready 0);
 * an API that cannot be asked is FIREBREAK_E_PROBE.
 */
export const workloadProbe: ValueProbeType<WorkloadProbeAttrs, KubeConnection> = {
  kind: 'value',
  type: 'kubernetes.workload',
  driver: 'kubernetes',
  summary: 'Availability of a Deployment, StatefulSet, DaemonSet or ReplicaSet: desired, ready, available, updated replicas and pod restarts.',
  attributes: ATTRS,
  example: { workload: 'deployment/web', namespace: 'shop' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const w = readWorkloadAttr(attrs, issues, ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);
    const namespace = readNamespace(attrs, issues);
    if (issues.count > before || !w || namespace === undefined) return undefined;
    return { kind: w.kind, name: w.name, namespace };
  },
  async run(ctx, a): Promise<WorkloadValue> {
    const namespace = a.namespace ?? ctx.connection.defaultNamespace;
    const label = `${a.kind.toLowerCase()}/${a.name}`;
    try {
      const w = await readWorkload(ctx, { kind: a.kind, name: a.name, namespace });
      if (!w) return { workload: label, exists: false, desired: 0, ready: 0, available: 0, updated: 0, unavailable: 0, restarts: 0, pods: 0, allReady: false };
      const { observed, ...r } = readiness(a.kind, w);
      const selector = Object.entries((w.spec?.selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
      const conn = ctx.connection;
      const pods = selector ? (await kubeCall(ctx, { verb: 'list', resource: 'pods', namespace }, (o) => conn.core.listNamespacedPod({ namespace, labelSelector: selector }, o))).items : [];
      const restarts = pods.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, s) => m + (s.restartCount ?? 0), 0), 0);
      return { workload: label, exists: true, ...r, unavailable: Math.max(0, r.desired - r.available), restarts, pods: pods.filter((p) => !p.metadata?.deletionTimestamp).length, allReady: observed && r.ready >= r.desired };
    } catch (err) {
      throw probeError(`kubernetes.workload ${namespace}/${label}`, err);
    }
  },
};
