import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { Target } from '../../../faults/types.js';
import type { ProbeContext } from '../../../probes/types.js';
import type { KubeConnection } from '../client.js';
import { KUBERNETES_SELECTOR_KEYS } from '../selector.js';

export type KubeProbeContext = ProbeContext<KubeConnection>;

/** The one attribute of the probes that read pods by selector or by cohort. */
export const POD_SELECTOR_ATTRS: readonly AttributeDoc[] = [
  { name: 'selector', kind: 'selector', default: 'the planned target cohorts', summary: 'The pods to read (namespaces, labels, labelSelector, fieldSelector, owner, phase, ready).' },
];

/** The example of the probes that read pods by selector. */
export const POD_SELECTOR_EXAMPLE = { selector: { owner: 'deployment/web', namespaces: ['shop'] } };
export type Cohort = 'canary' | 'control';

/** The planned target cohorts' pods, each with its cohort. */
export function cohortPods(ctx: KubeProbeContext): { target: Target; cohort: Cohort }[] {
  if (!ctx.targets) return [];
  return [
    ...ctx.targets.canary.filter((t) => t.driver === 'kubernetes').map((target) => ({ target, cohort: 'canary' as const })),
    ...ctx.targets.control.filter((t) => t.driver === 'kubernetes').map((target) => ({ target, cohort: 'control' as const })),
  ];
}

/** The pod selector keys, for messages. */
export const SELECTOR_KEYS = KUBERNETES_SELECTOR_KEYS.join(', ');

/** The namespaces a probe looks at: its own, else the cohort's, else the allow-list, else the context's. */
export function probeNamespaces(ctx: KubeProbeContext, given: string[] | undefined): string[] {
  if (given?.length) return given;
  const fromCohort = [...new Set(cohortPods(ctx).map((p) => String(p.target.meta?.namespace ?? '')).filter(Boolean))];
  if (fromCohort.length) return fromCohort;
  return ctx.connection.config.namespaces ?? [ctx.connection.defaultNamespace];
}
