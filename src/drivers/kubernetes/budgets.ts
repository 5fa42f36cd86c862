import { FirebreakError } from '../../errors.js';
import type { Target } from '../../faults/types.js';
import { kubeCall, type KubeCallContext } from './client.js';
import { matchesLabelSelector } from './selector.js';

/** Fault types that make their pods unavailable, and so count against PodDisruptionBudgets. */
export const DISRUPTING_FAULTS = ['kubernetes.pod-kill', 'kubernetes.pod-failure'];

/**
 * Refuses to disrupt `pods` when that would break a PodDisruptionBudget: for every budget covering some
 * of them, the ready ones among them must not exceed the disruptions it allows now (its status, as the
 * disruption controller computed it). FIREBREAK_E_DISRUPTION_BUDGET names the budget and the numbers.
 */
export async function checkDisruptionBudgets(ctx: KubeCallContext, pods: Target[]): Promise<void> {
  const conn = ctx.connection;
  const byNamespace = new Map<string, Target[]>();
  for (const p of pods) {
    const ns = String(p.meta?.namespace ?? conn.defaultNamespace);
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p]);
  }
  for (const [namespace, list] of byNamespace) {
    const budgets = await kubeCall(ctx, { verb: 'list', resource: 'poddisruptionbudgets', group: 'policy', namespace }, (o) => conn.policy.listNamespacedPodDisruptionBudget({ namespace }, o));
    for (const b of budgets.items) {
      const covered = list.filter((p) => matchesLabelSelector(b.spec?.selector, p.labels) && p.meta?.ready === true);
      const allowed = b.status?.disruptionsAllowed ?? 0;
      if (covered.length > allowed) {
        const s = b.status;
        throw new FirebreakError(
          'FIREBREAK_E_DISRUPTION_BUDGET',
          `disrupting ${covered.length} ready pod${covered.length === 1 ? '' : 's'} (${covered.map((p) => p.name).join(', ')}) would break PodDisruptionBudget ${namespace}/${b.metadata?.name}: it allows ${allowed} disruption${allowed === 1 ? '' : 's'} now (${s?.currentHealthy ?? '?'} healthy, ${s?.desiredHealthy ?? '?'} required); select fewer pods, or set ignoreDisruptionBudgets: true on the fault deliberately`,
          { details: { budget: `${namespace}/${b.metadata?.name}`, disrupting: covered.length, allowed, currentHealthy: s?.currentHealthy ?? null, desiredHealthy: s?.desiredHealthy ?? null } },
        );
      }
    }
  }
}
