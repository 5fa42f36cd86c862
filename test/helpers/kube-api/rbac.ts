import { ApiError } from './status.js';
import type { KubeObject, Store } from './store.js';

/** What one request asks to do, as the API server's authorizer sees it. */
export interface Attributes {
  user: string;
  verb: string;
  group: string;
  /** Plural, with `/subresource` when there is one: `pods/eviction`, `deployments/scale`. */
  resource: string;
  namespace?: string;
  name?: string;
}

/** A denial a test sets up: any field left out matches everything. */
export interface DenyRule {
  user?: string;
  verb: string;
  group?: string;
  resource: string;
  namespace?: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * Authorization: explicit denials first (tests), then superusers (the admin token, like
 * system:masters), then RBAC from the Roles, ClusterRoles and their bindings stored in the server,
 * evaluated like the real RBAC authorizer (union of the rules bound to the user, no denies).
 */
export class Authorizer {
  readonly denials: DenyRule[] = [];

  constructor(
    private readonly store: Store,
    private readonly superusers: Set<string>,
  ) {}

  check(a: Attributes): void {
    const denied = this.denials.some(
      (d) => d.verb === a.verb && d.resource === a.resource && (d.user === undefined || d.user === a.user) && (d.group === undefined || d.group === a.group) && (d.namespace === undefined || d.namespace === a.namespace),
    );
    if (!denied && (this.superusers.has(a.user) || this.allowedByRbac(a))) return;
    throw forbidden(a);
  }

  private allowedByRbac(a: Attributes): boolean {
    const rules: PolicyRule[] = [];
    const rbac = 'rbac.authorization.k8s.io';
    for (const b of this.store.list(rbac, 'clusterrolebindings')) {
      if (bindsUser(b, a.user)) rules.push(...this.roleRules(b, undefined));
    }
    if (a.namespace) {
      for (const b of this.store.list(rbac, 'rolebindings', a.namespace)) {
        if (bindsUser(b, a.user)) rules.push(...this.roleRules(b, a.namespace));
      }
    }
    return rules.some((r) => ruleAllows(r, a));
  }

  private roleRules(binding: KubeObject, ns: string | undefined): PolicyRule[] {
    const ref = binding.roleRef as { kind: string; name: string } | undefined;
    if (!ref) return [];
    const role = ref.kind === 'ClusterRole' ? this.store.get('rbac.authorization.k8s.io', 'clusterroles', undefined, ref.name) : this.store.get('rbac.authorization.k8s.io', 'roles', ns, ref.name);
    return (role?.rules as PolicyRule[] | undefined) ?? [];
  }
}

function bindsUser(binding: KubeObject, user: string): boolean {
  const subjects = (binding.subjects as { kind: string; name: string; namespace?: string }[] | undefined) ?? [];
  return subjects.some((s) => (s.kind === 'User' && s.name === user) || (s.kind === 'ServiceAccount' && user === `system:serviceaccount:${s.namespace}:${s.name}`) || (s.kind === 'Group' && s.name === 'system:authenticated'));
}

function ruleAllows(r: PolicyRule, a: Attributes): boolean {
  const inList = (list: string[] | undefined, v: string): boolean => (list ?? []).some((x) => x === '*' || x === v);
  if (!inList(r.verbs, a.verb) || !inList(r.apiGroups, a.group)) return false;
  const [plural, sub] = a.resource.split('/');
  const resources = r.resources ?? [];
  const resOk = resources.some((x) => x === '*' || x === a.resource || (sub !== undefined && x === `${plural}/*`) || (sub === undefined && x === plural));
  if (!resOk) return false;
  if (r.resourceNames && r.resourceNames.length) return a.name !== undefined && r.resourceNames.includes(a.name);
  return true;
}

/** The real authorizer's message: `pods "web-0" is forbidden: User "x" cannot delete resource "pods" in API group "" in the namespace "shop"`. */
export function forbidden(a: Attributes): ApiError {
  const [plural] = a.resource.split('/');
  const what = `${a.group ? `${plural}.${a.group}` : plural}${a.name ? ` "${a.name}"` : ''}`;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return new ApiError(403, 'Forbidden', `${what} is forbidden: User "${a.user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.group}" ${where}`, {
    ...(a.name ? { name: a.name } : {}),
    ...(a.group ? { group: a.group } : {}),
    kind: plural,
  });
}
