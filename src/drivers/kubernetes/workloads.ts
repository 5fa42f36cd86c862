import { FirebreakError } from '../../errors.js';
import type { IssueSink } from '../../experiment/issues.js';
import { kubeCall, type KubeCallContext, type PatchType } from './client.js';
import { kindOps, readOrUndefined, type KindName, type KubeObject } from './objects.js';
import { parseOwner } from './selector.js';
import type { WorkloadRef } from './targets.js';

/** How many pods a workload wants and has, as its status says. */
export interface Readiness {
  desired: number;
  ready: number;
  available: number;
  updated: number;
  /** The controller has seen the latest spec (observedGeneration >= generation). */
  observed: boolean;
}

export function readiness(kind: string, w: KubeObject): Readiness {
  const s = w.status ?? {};
  const observed = (s.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  if (kind === 'DaemonSet') {
    return { desired: s.desiredNumberScheduled ?? 0, ready: s.numberReady ?? 0, available: s.numberAvailable ?? 0, updated: s.updatedNumberScheduled ?? 0, observed };
  }
  return { desired: w.spec?.replicas ?? 1, ready: s.readyReplicas ?? 0, available: s.availableReplicas ?? 0, updated: s.updatedReplicas ?? 0, observed };
}

export function workloadOps(ref: Pick<WorkloadRef, 'kind'>) {
  if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(ref.kind)) {
    throw new FirebreakError('FIREBREAK_E_KUBERNETES', `${ref.kind} is not a workload firebreak knows (Deployment, StatefulSet, DaemonSet, ReplicaSet)`);
  }
  return kindOps(ref.kind as KindName);
}

export async function readWorkload(ctx: KubeCallContext, ref: WorkloadRef): Promise<KubeObject | undefined> {
  return readOrUndefined(workloadOps(ref), ctx, ref.namespace, ref.name);
}

/** Reads `workload: deployment/web` with an optional `namespace` attribute; reports problems. */
export function readWorkloadAttr(attrs: Record<string, unknown>, issues: IssueSink, kinds: string[]): { kind: string; name: string } | undefined {
  const v = attrs.workload;
  if (v === undefined) {
    issues.add('workload', 'is required', `${kinds.map((k) => k.toLowerCase()).join(', ')} and a name, like deployment/web`);
    return undefined;
  }
  const owner = typeof v === 'string' ? parseOwner(v) : undefined;
  if (!owner || !kinds.includes(owner.kind)) {
    issues.add('workload', `is not a ${kinds.join(' or ')}: ${JSON.stringify(v)}`, `like ${kinds[0]!.toLowerCase()}/web`);
    return undefined;
  }
  return owner;
}

/** The scale subresource (autoscaling/v1 Scale) of a Deployment, StatefulSet or ReplicaSet. */
export interface ScaleOps {
  read(ctx: KubeCallContext, namespace: string, name: string): Promise<{ replicas: number; resourceVersion: string; uid: string }>;
  patch(ctx: KubeCallContext, namespace: string, name: string, body: unknown, type: PatchType): Promise<{ replicas: number }>;
}

export function scaleOps(kind: string): ScaleOps {
  const plural = { Deployment: 'deployments', StatefulSet: 'statefulsets', ReplicaSet: 'replicasets' }[kind];
  if (!plural) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `${kind} has no scale subresource`);
  const t = (verb: string, namespace: string, name: string) => ({ verb, resource: `${plural}/scale`, group: 'apps', namespace, name });
  return {
    async read(ctx, namespace, name) {
      const apps = ctx.connection.apps;
      const s = await kubeCall(ctx, t('get', namespace, name), (o) =>
        kind === 'Deployment' ? apps.readNamespacedDeploymentScale({ namespace, name }, o) : kind === 'StatefulSet' ? apps.readNamespacedStatefulSetScale({ namespace, name }, o) : apps.readNamespacedReplicaSetScale({ namespace, name }, o),
      );
      return { replicas: s.spec?.replicas ?? 0, resourceVersion: s.metadata?.resourceVersion ?? '', uid: s.metadata?.uid ?? '' };
    },
    async patch(ctx, namespace, name, body, type) {
      const apps = ctx.connection.apps;
      const s = await kubeCall(ctx, t('patch', namespace, name), (o) =>
        kind === 'Deployment' ? apps.patchNamespacedDeploymentScale({ namespace, name, body }, o) : kind === 'StatefulSet' ? apps.patchNamespacedStatefulSetScale({ namespace, name, body }, o) : apps.patchNamespacedReplicaSetScale({ namespace, name, body }, o),
        { patch: type },
      );
      return { replicas: s.spec?.replicas ?? 0 };
    },
  };
}

/** HorizontalPodAutoscalers in the namespace whose scale target is this workload. */
export async function autoscalersOf(ctx: KubeCallContext, ref: WorkloadRef): Promise<string[]> {
  const conn = ctx.connection;
  const list = await kubeCall(ctx, { verb: 'list', resource: 'horizontalpodautoscalers', group: 'autoscaling', namespace: ref.namespace }, (o) => conn.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace }, o));
  return list.items.filter((h) => h.spec?.scaleTargetRef?.kind === ref.kind && h.spec.scaleTargetRef.name === ref.name).map((h) => h.metadata?.name ?? '');
}
