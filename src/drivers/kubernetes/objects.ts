import type * as K8s from '@kubernetes/client-node';
import { FirebreakError } from '../../errors.js';
import { sleep } from '../../util/abort.js';
import { isConflict, isInvalid, isNotFound, kubeCall, type KubeCallContext, type PatchType } from './client.js';

/** Any object read through the API, as far as firebreak looks at it. */
export interface KubeObject {
  metadata?: K8s.V1ObjectMeta;
  spec?: any;
  status?: any;
}

/** The kinds firebreak reads and patches, each with the typed client-node calls for it. */
export type KindName = 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'NetworkPolicy' | 'VirtualService';

export interface KindOps {
  kind: KindName;
  group: string;
  plural: string;
  read(ctx: KubeCallContext, namespace: string, name: string): Promise<KubeObject>;
  patch(ctx: KubeCallContext, namespace: string, name: string, body: unknown, type: PatchType): Promise<KubeObject>;
  list(ctx: KubeCallContext, namespace: string, labelSelector?: string): Promise<KubeObject[]>;
}

/** JSON Patch operations (RFC 6902). */
export type PatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

/** `firebreak.dev/run` as a JSON Pointer segment. */
export function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

const ISTIO = 'networking.istio.io';

/** The typed calls for one kind; VirtualServices through the custom objects API at `istioVersion`. */
export function kindOps(kind: KindName, istioVersion = 'v1beta1'): KindOps {
  const c = (ctx: KubeCallContext): KubeCallContext['connection'] => ctx.connection;
  const call = <T>(ctx: KubeCallContext, verb: string, group: string, plural: string, namespace: string, name: string | undefined, work: (o: K8s.ConfigurationOptions) => Promise<T>, patch?: PatchType): Promise<T> =>
    kubeCall(ctx, { verb, resource: plural, ...(group ? { group } : {}), namespace, ...(name ? { name } : {}) }, work, patch ? { patch } : {});
  const build = (group: string, plural: string, r: (ctx: KubeCallContext, ns: string, name: string, o: K8s.ConfigurationOptions) => Promise<KubeObject>, p: (ctx: KubeCallContext, ns: string, name: string, body: any, o: K8s.ConfigurationOptions) => Promise<KubeObject>, l: (ctx: KubeCallContext, ns: string, sel: string | undefined, o: K8s.ConfigurationOptions) => Promise<{ items: KubeObject[] }>): KindOps => ({
    kind, group, plural,
    read: (ctx, ns, name) => call(ctx, 'get', group, plural, ns, name, (o) => r(ctx, ns, name, o)),
    patch: (ctx, ns, name, body, type) => call(ctx, 'patch', group, plural, ns, name, (o) => p(ctx, ns, name, body, o), type),
    list: async (ctx, ns, sel) => (await call(ctx, 'list', group, plural, ns, undefined, (o) => l(ctx, ns, sel, o))).items,
  });
  const sel = (s: string | undefined): { labelSelector?: string } => (s ? { labelSelector: s } : {});
  switch (kind) {
    case 'Pod':
      return build('', 'pods', (x, namespace, name, o) => c(x).core.readNamespacedPod({ namespace, name }, o), (x, namespace, name, body, o) => c(x).core.patchNamespacedPod({ namespace, name, body }, o), (x, namespace, s, o) => c(x).core.listNamespacedPod({ namespace, ...sel(s) }, o));
    case 'Deployment':
      return build('apps', 'deployments', (x, namespace, name, o) => c(x).apps.readNamespacedDeployment({ namespace, name }, o), (x, namespace, name, body, o) => c(x).apps.patchNamespacedDeployment({ namespace, name, body }, o), (x, namespace, s, o) => c(x).apps.listNamespacedDeployment({ namespace, ...sel(s) }, o));
    case 'StatefulSet':
      return build('apps', 'statefulsets', (x, namespace, name, o) => c(x).apps.readNamespacedStatefulSet({ namespace, name }, o), (x, namespace, name, body, o) => c(x).apps.patchNamespacedStatefulSet({ namespace, name, body }, o), (x, namespace, s, o) => c(x).apps.listNamespacedStatefulSet({ namespace, ...sel(s) }, o));
    case 'DaemonSet':
      return build('apps', 'daemonsets', (x, namespace, name, o) => c(x).apps.readNamespacedDaemonSet({ namespace, name }, o), (x, namespace, name, body, o) => c(x).apps.patchNamespacedDaemonSet({ namespace, name, body }, o), (x, namespace, s, o) => c(x).apps.listNamespacedDaemonSet({ namespace, ...sel(s) }, o));
    case 'ReplicaSet':
      return build('apps', 'replicasets', (x, namespace, name, o) => c(x).apps.readNamespacedReplicaSet({ namespace, name }, o), (x, namespace, name, body, o) => c(x).apps.patchNamespacedReplicaSet({ namespace, name, body }, o), (x, namespace, s, o) => c(x).apps.listNamespacedReplicaSet({ namespace, ...sel(s) }, o));
    case 'NetworkPolicy':
      return build('networking.k8s.io', 'networkpolicies', (x, namespace, name, o) => c(x).networking.readNamespacedNetworkPolicy({ namespace, name }, o), (x, namespace, name, body, o) => c(x).networking.patchNamespacedNetworkPolicy({ namespace, name, body }, o), (x, namespace, s, o) => c(x).networking.listNamespacedNetworkPolicy({ namespace, ...sel(s) }, o));
    case 'VirtualService': {
      const base = { group: ISTIO, version: istioVersion, plural: 'virtualservices' };
      return build(ISTIO, 'virtualservices', (x, namespace, name, o) => c(x).custom.getNamespacedCustomObject({ ...base, namespace, name }, o), (x, namespace, name, body, o) => c(x).custom.patchNamespacedCustomObject({ ...base, namespace, name, body }, o), (x, namespace, s, o) => c(x).custom.listNamespacedCustomObject({ ...base, namespace, ...sel(s) }, o));
    }
  }
}

/** The object, or undefined when it does not exist. */
export async function readOrUndefined(ops: KindOps, ctx: KubeCallContext, namespace: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await ops.read(ctx, namespace, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const MAX_ATTEMPTS = 5;

/**
 * Changes an object with a JSON Patch guarded by a `test` of the resourceVersion it was read at, so a
 * change made by anyone in between is never overwritten: the patch is refused (422) and rebuilt from a
 * fresh read, up to five times. `plan` returns the operations for the object as read, or undefined when
 * there is nothing to do. Returns the patched object, or the object as read when nothing was to do, or
 * undefined when the object does not exist.
 */
export async function guardedPatch(ops: KindOps, ctx: KubeCallContext, namespace: string, name: string, plan: (obj: KubeObject) => PatchOp[] | undefined): Promise<KubeObject | undefined> {
  for (let attempt = 1; ; attempt++) {
    const obj = await readOrUndefined(ops, ctx, namespace, name);
    if (!obj) return undefined;
    const patch = plan(obj);
    if (!patch || patch.length === 0) return obj;
    try {
      return await ops.patch(ctx, namespace, name, [{ op: 'test', path: '/metadata/resourceVersion', value: obj.metadata?.resourceVersion }, ...patch], 'json');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!(isInvalid(err) || isConflict(err)) || attempt >= MAX_ATTEMPTS) {
        if (attempt >= MAX_ATTEMPTS) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `${ops.kind} ${namespace}/${name} kept changing under ${MAX_ATTEMPTS} guarded patches; try again`, { cause: err });
        throw err;
      }
      await sleep(50 * attempt, ctx.signal);
    }
  }
}

/** Operations that set labels and annotations, creating the maps when the object has none. */
export function setMetaOps(obj: KubeObject, labels: Record<string, string>, annotations: Record<string, string> = {}): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const [field, values] of [['labels', labels], ['annotations', annotations]] as const) {
    const current = obj.metadata?.[field];
    const wanted = Object.entries(values).filter(([k, v]) => current?.[k] !== v);
    if (wanted.length === 0) continue;
    if (!current) ops.push({ op: 'add', path: `/metadata/${field}`, value: Object.fromEntries(wanted) });
    else for (const [k, v] of wanted) ops.push({ op: 'add', path: `/metadata/${field}/${pointer(k)}`, value: v });
  }
  return ops;
}

/** Operations that remove the labels and annotations present among `keys`. */
export function removeMetaOps(obj: KubeObject, labels: string[], annotations: string[] = []): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const k of labels) if (obj.metadata?.labels?.[k] !== undefined) ops.push({ op: 'remove', path: `/metadata/labels/${pointer(k)}` });
  for (const k of annotations) if (obj.metadata?.annotations?.[k] !== undefined) ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(k)}` });
  return ops;
}

/** Prefixes a test of the uid (a replacement with the same name is another object); undefined when there is nothing to do. */
export function testUid(uid: string, ops: PatchOp[]): PatchOp[] | undefined {
  return ops.length ? [{ op: 'test', path: '/metadata/uid', value: uid }, ...ops] : undefined;
}
