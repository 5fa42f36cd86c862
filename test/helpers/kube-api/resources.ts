/**
 * The resource types the Kubernetes API test server serves, with what discovery says about them
 * (`/api/v1`, `/apis/<group>/<version>`): names, kinds, verbs, short names and subresources, as a real
 * API server of the version in VERSION answers.
 */
export interface SubresourceDef {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceDef {
  group: string;
  /** Served versions; the first is the preferred (and storage) version. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  subresources?: SubresourceDef[];
  /** Computed on read (metrics): no store, only get and list. */
  virtual?: boolean;
}

export const VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.4', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2024-08-14T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' };

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = (kind: string): SubresourceDef => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] });
const SCALE: SubresourceDef = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

export const RESOURCES: ResourceDef[] = [
  { group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: [STATUS('Namespace')] },
  {
    group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'], verbs: RW,
    subresources: [STATUS('Pod'), { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] }],
  },
  { group: '', versions: ['v1'], kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], verbs: RW },
  { group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], verbs: RW },
  { group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], verbs: RW },
  { group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true, verbs: RW },
  { group: '', versions: ['v1'], kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'], verbs: RW, subresources: [STATUS('Service')] },
  { group: '', versions: ['v1'], kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', namespaced: true, shortNames: ['pvc'], verbs: RW, subresources: [STATUS('PersistentVolumeClaim')] },
  { group: '', versions: ['v1'], kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], verbs: RW, subresources: [STATUS('Node')] },
  { group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], verbs: RW, subresources: [STATUS('Deployment'), SCALE] },
  { group: 'apps', versions: ['v1'], kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'], verbs: RW, subresources: [STATUS('ReplicaSet'), SCALE] },
  { group: 'apps', versions: ['v1'], kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', namespaced: true, shortNames: ['sts'], categories: ['all'], verbs: RW, subresources: [STATUS('StatefulSet'), SCALE] },
  { group: 'apps', versions: ['v1'], kind: 'DaemonSet', plural: 'daemonsets', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: ['all'], verbs: RW, subresources: [STATUS('DaemonSet')] },
  { group: 'autoscaling', versions: ['v2', 'v1'], kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', namespaced: true, shortNames: ['hpa'], categories: ['all'], verbs: RW, subresources: [STATUS('HorizontalPodAutoscaler')] },
  { group: 'batch', versions: ['v1'], kind: 'Job', plural: 'jobs', singular: 'job', namespaced: true, categories: ['all'], verbs: RW, subresources: [STATUS('Job')] },
  { group: 'batch', versions: ['v1'], kind: 'CronJob', plural: 'cronjobs', singular: 'cronjob', namespaced: true, shortNames: ['cj'], categories: ['all'], verbs: RW, subresources: [STATUS('CronJob')] },
  { group: 'policy', versions: ['v1'], kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', namespaced: true, shortNames: ['pdb'], verbs: RW, subresources: [STATUS('PodDisruptionBudget')] },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'NetworkPolicy', plural: 'networkpolicies', singular: 'networkpolicy', namespaced: true, shortNames: ['netpol'], verbs: RW },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'Role', plural: 'roles', singular: 'role', namespaced: true, verbs: RW },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'RoleBinding', plural: 'rolebindings', singular: 'rolebinding', namespaced: true, verbs: RW },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRole', plural: 'clusterroles', singular: 'clusterrole', namespaced: false, verbs: RW },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', singular: 'clusterrolebinding', namespaced: false, verbs: RW },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', singular: '', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'networking.istio.io', versions: ['v1', 'v1beta1'], kind: 'VirtualService', plural: 'virtualservices', singular: 'virtualservice', namespaced: true, shortNames: ['vs'], categories: ['istio-io', 'networking-istio-io'], verbs: RW, subresources: [STATUS('VirtualService')] },
  { group: 'metrics.k8s.io', versions: ['v1beta1'], kind: 'PodMetrics', plural: 'pods', singular: '', namespaced: true, verbs: ['get', 'list'], virtual: true },
  { group: 'metrics.k8s.io', versions: ['v1beta1'], kind: 'NodeMetrics', plural: 'nodes', singular: '', namespaced: false, verbs: ['get', 'list'], virtual: true },
];

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The resource served at `/api(s)/<group>/<version>/.../<plural>`, if any. */
export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.plural === plural && r.versions.includes(version));
}

export function findKind(group: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.kind === kind && !r.virtual);
}

/** The group list at /apis (APIGroupList), every group but the core one. */
export function groupList(disabled: ReadonlySet<string>): object {
  const groups = new Map<string, string[]>();
  for (const r of RESOURCES) {
    if (r.group === '' || disabled.has(r.group)) continue;
    const vs = groups.get(r.group) ?? [];
    for (const v of r.versions) if (!vs.includes(v)) vs.push(v);
    groups.set(r.group, vs);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => groupOf(name, versions)),
  };
}

export function groupOf(name: string, versions: string[]): object {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: list, preferredVersion: list[0] };
}

export function groupVersions(group: string): string[] {
  const out: string[] = [];
  for (const r of RESOURCES) if (r.group === group) for (const v of r.versions) if (!out.includes(v)) out.push(v);
  return out;
}

/** An APIResourceList for one group version, subresources listed as `<plural>/<sub>` as the real server does. */
export function resourceList(group: string, version: string): object | undefined {
  const defs = RESOURCES.filter((r) => r.group === group && r.versions.includes(version));
  if (defs.length === 0) return undefined;
  const resources: object[] = [];
  for (const r of defs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      ...(r.virtual ? {} : { storageVersionHash: Buffer.from(`${r.group}/${r.plural}`).toString('base64').slice(0, 11) }),
    });
    for (const s of r.subresources ?? []) {
      resources.push({ name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs, ...(s.group !== undefined ? { group: s.group, version: s.version } : {}) });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}
