import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { FaultContext, Target } from '../../../faults/types.js';
import { readDuration } from '../../core/attrs.js';
import type { KubeConnection } from '../client.js';
import { DNS_LABEL } from '../config.js';
import { requireNamespace } from '../targets.js';

export type KubeFaultContext = FaultContext<KubeConnection>;

/** How long after its apply an orphaned mark may be swept when its run's fate is unknown. */
export const DEFAULT_EXPIRES_AFTER_MS = 60 * 60_000;
/** Margin for the API calls around a wait, in a fault's budget. */
export const CALL_SLACK_MS = 10_000;

/** `expiresAfter`: how long an orphaned mark lives (for `recover --sweep`). */
export const EXPIRES_AFTER_ATTR: AttributeDoc = {
  name: 'expiresAfter',
  kind: 'duration',
  default: '1h',
  summary: 'After this long, `recover --sweep` may remove what the fault left behind even when its run cannot be checked (the expires-at annotation).',
};

/** `namespace` of a fault that names one object (a workload, a VirtualService). */
export const NAMESPACE_ATTR: AttributeDoc = { name: 'namespace', kind: 'string', default: "the context's namespace", summary: 'The namespace of the object (within target.kubernetes.namespaces when that allow-list is set).' };

/** `ignoreDisruptionBudgets` of the faults that take pods down. */
export const IGNORE_BUDGETS_ATTR: AttributeDoc = {
  name: 'ignoreDisruptionBudgets',
  kind: 'boolean',
  default: false,
  summary: 'Go ahead even when taking the pods down breaks a PodDisruptionBudget (refused at plan time otherwise).',
};

export function readExpiresAfter(attrs: Record<string, unknown>, issues: IssueSink): number | undefined {
  const ms = readDuration(attrs, 'expiresAfter', issues, DEFAULT_EXPIRES_AFTER_MS);
  if (ms !== undefined && ms <= 0) {
    issues.add('expiresAfter', 'must be a positive duration', 'longer than the run, like 1h');
    return undefined;
  }
  return ms;
}

export function readBoolean(attrs: Record<string, unknown>, key: string, issues: IssueSink, fallback = false): boolean | undefined {
  const v = attrs[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    issues.add(key, `must be true or false, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

/** `namespace` attribute: a namespace name, or null for the context's namespace (resolved at prepare). */
export function readNamespace(attrs: Record<string, unknown>, issues: IssueSink): string | null | undefined {
  const v = attrs.namespace;
  if (v === undefined) return null;
  if (typeof v !== 'string' || !DNS_LABEL.test(v) || v.length > 63) {
    issues.add('namespace', `is not a namespace name: ${JSON.stringify(v)}`, 'a lowercase RFC 1123 label like shop');
    return undefined;
  }
  return v;
}

/** The namespace a scope-`none` fault acts in, checked against the allow-list and the cluster. */
export async function namespaceFor(ctx: KubeFaultContext, given: string | null): Promise<string> {
  const ns = given ?? ctx.connection.defaultNamespace;
  await requireNamespace(ctx, ns);
  return ns;
}

export function expiresAt(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

/** `pod shop/web-abc12` for plans and progress. */
export function podLabel(target: Target | undefined): string {
  if (!target) return 'each pod of the target cohort';
  const ns = typeof target.meta?.namespace === 'string' ? `${target.meta.namespace}/` : '';
  return `pod ${ns}${target.name}`;
}

export function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
