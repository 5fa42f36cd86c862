import type * as K8s from '@kubernetes/client-node';
import { FirebreakError } from '../../errors.js';
import type { JsonObject, Target } from '../../faults/types.js';
import { kubeCall, isNotFound, statusOf, type KubeCallContext } from './client.js';
import { namespaceAllowed } from './config.js';
import { checkKubernetesSelector, matchesPod, type KubernetesSelector } from './selector.js';

/** The workload a pod belongs to: a Deployment through its ReplicaSet, or its direct controller. */
export interface WorkloadRef extends JsonObject {
  kind: string;
  name: string;
  namespace: string;
}

/**
 * The namespaces a selector covers: its own, else the allow-list, else the context's. Each must be in
 * the allow-list and exist (when the caller may read namespaces): FIREBREAK_E_KUBERNETES_NAMESPACE.
 */
export async function resolveNamespaces(ctx: KubeCallContext, wanted: string[] | undefined): Promise<string[]> {
  const conn = ctx.connection;
  const list = wanted ?? conn.config.namespaces ?? [conn.defaultNamespace];
  for (const ns of list) await requireNamespace(ctx, ns);
  return list;
}

/** Refuses a namespace outside the allow-list or missing from the cluster (403 on reading namespaces is not proof of absence). */
export async function requireNamespace(ctx: KubeCallContext, ns: string): Promise<void> {
  const conn = ctx.connection;
  if (!namespaceAllowed(conn.config, ns)) {
    throw new FirebreakError('FIREBREAK_E_KUBERNETES_NAMESPACE', `namespace "${ns}" is not in target.kubernetes.namespaces (${conn.config.namespaces!.join(', ')}); firebreak touches nothing outside it`);
  }
  try {
    await kubeCall(ctx, { verb: 'get', resource: 'namespaces', name: ns }, (o) => conn.core.readNamespace({ name: ns }, o));
  } catch (err) {
    if (isNotFound(err)) throw new FirebreakError('FIREBREAK_E_KUBERNETES_NAMESPACE', `namespace "${ns}" does not exist on ${conn.server}`, { cause: err });
    if (statusOf(err) !== 403) throw err;
  }
}

/**
 * Lists pods as targets. Labels, the label and field selectors and a single phase (Running by
 * default) are filtered by the API server; names, patterns, images, owners and readiness here. A pod
 * owned by a ReplicaSet that a Deployment owns has that Deployment as its workload. A selector that
 * breaks the rules of parseKubernetesSelector is refused rather than ignored.
 */
export async function listKubernetesTargets(ctx: KubeCallContext, selector: KubernetesSelector): Promise<Target[]> {
  checkKubernetesSelector(selector);
  const conn = ctx.connection;
  const namespaces = await resolveNamespaces(ctx, selector.namespaces);
  const labelSelector = [...Object.entries(selector.labels ?? {}).map(([k, v]) => `${k}=${v}`), ...(selector.labelSelector ? [selector.labelSelector] : [])].join(',') || undefined;
  const phases = selector.phase === undefined ? ['Running'] : Array.isArray(selector.phase) ? selector.phase : [selector.phase];
  const fieldSelector = [...(selector.fieldSelector ? [selector.fieldSelector] : []), ...(phases.length === 1 ? [`status.phase=${phases[0]}`] : [])].join(',') || undefined;
  const out: Target[] = [];
  for (const namespace of namespaces) {
    const pods = await kubeCall(ctx, { verb: 'list', resource: 'pods', namespace }, (o) =>
      conn.core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) }, o),
    );
    const owners = await replicaSetOwners(ctx, namespace, pods.items);
    for (const pod of pods.items) {
      if (!phases.includes(pod.status?.phase ?? 'Unknown')) continue;
      const t = podTarget(pod, owners);
      if (matchesPod(t, { ...selector, phase: phases })) out.push(t);
    }
  }
  return out;
}

/** ReplicaSet name -> its controller (a Deployment), for the pods that belong to ReplicaSets. */
export async function replicaSetOwners(ctx: KubeCallContext, namespace: string, pods: K8s.V1Pod[]): Promise<Map<string, { kind: string; name: string }>> {
  const map = new Map<string, { kind: string; name: string }>();
  if (!pods.some((p) => controllerOf(p.metadata)?.kind === 'ReplicaSet')) return map;
  const conn = ctx.connection;
  const sets = await kubeCall(ctx, { verb: 'list', resource: 'replicasets', group: 'apps', namespace }, (o) => conn.apps.listNamespacedReplicaSet({ namespace }, o));
  for (const rs of sets.items) {
    const c = controllerOf(rs.metadata);
    if (c && rs.metadata?.name) map.set(rs.metadata.name, { kind: c.kind, name: c.name });
  }
  return map;
}

export function controllerOf(meta: K8s.V1ObjectMeta | undefined): K8s.V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller);
}

export function isPodReady(pod: K8s.V1Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A pod as a target: id is its uid (a replacement with the same name is another target). */
export function podTarget(pod: K8s.V1Pod, rsOwners: Map<string, { kind: string; name: string }>): Target {
  const meta = pod.metadata!;
  const namespace = meta.namespace ?? 'default';
  const c = controllerOf(meta);
  const owner = c ? { kind: c.kind, name: c.name } : null;
  const viaRs = c?.kind === 'ReplicaSet' ? rsOwners.get(c.name) : undefined;
  const workload: WorkloadRef | null = viaRs?.kind === 'Deployment' ? { kind: 'Deployment', name: viaRs.name, namespace } : owner ? { ...owner, namespace } : null;
  const images = (pod.spec?.containers ?? []).map((x) => x.image ?? '');
  const m: JsonObject = {
    namespace,
    pod: meta.name!,
    uid: meta.uid!,
    node: pod.spec?.nodeName ?? '',
    serviceAccount: pod.spec?.serviceAccountName ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: isPodReady(pod),
    owner,
    workload,
    image: images[0] ?? '',
    images,
    restarts: (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0),
  };
  return { driver: 'kubernetes', id: meta.uid!, name: meta.name!, labels: { ...(meta.labels ?? {}) }, meta: m };
}

/** The pod a target names, by namespace and name, as a reference faults keep in their state. */
export interface PodRef extends JsonObject {
  namespace: string;
  pod: string;
  uid: string;
}

export function podRef(target: Target | undefined, type: string): PodRef & { workload: WorkloadRef | null } {
  if (!target || target.driver !== 'kubernetes' || typeof target.meta?.namespace !== 'string') {
    throw new FirebreakError('FIREBREAK_E_INTERNAL', `${type} needs a pod of the target cohort (cohort.targets with driver: kubernetes)`);
  }
  return { namespace: target.meta.namespace, pod: target.name, uid: target.id, workload: (target.meta.workload as WorkloadRef | null) ?? null };
}

/** The pod by name if it is still the one with this uid; undefined when it is gone or was replaced. */
export async function readPod(ctx: KubeCallContext, ref: PodRef): Promise<K8s.V1Pod | undefined> {
  const conn = ctx.connection;
  try {
    const pod = await kubeCall(ctx, { verb: 'get', resource: 'pods', namespace: ref.namespace, name: ref.pod }, (o) => conn.core.readNamespacedPod({ namespace: ref.namespace, name: ref.pod }, o));
    return pod.metadata?.uid === ref.uid ? pod : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
