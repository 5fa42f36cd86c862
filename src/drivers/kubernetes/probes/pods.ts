import type * as K8s from '@kubernetes/client-node';
import type { Target } from '../../../faults/types.js';
import type { ValueProbeType } from '../../../probes/types.js';
import { parseSelectorOnly } from '../../core/attrs.js';
import { kubeCall, probeError, type KubeConnection } from '../client.js';
import { listKubernetesTargets, podTarget, replicaSetOwners, isPodReady } from '../targets.js';
import { cohortPods, probeNamespaces, POD_SELECTOR_ATTRS, POD_SELECTOR_EXAMPLE, SELECTOR_KEYS, type KubeProbeContext } from './common.js';
import { parseKubernetesSelector, type KubernetesSelector } from '../selector.js';

export interface PodsProbeAttrs {
  /** Pods to count; without it, the planned target cohorts (and the replacements of their workloads). */
  selector?: KubernetesSelector;
}

export interface PodCounts {
  total: number;
  ready: number;
  notReady: number;
  terminating: number;
  /** Pods of the cohort that no longer exist (killed and not the same pod any more). */
  gone: number;
  restarts: number;
  phases: Record<string, number>;
}

export interface PodsValue extends PodCounts {
  cohorts?: { canary: PodCounts; control: PodCounts; replacements: PodCounts };
}

/**
 * Pods by phase and readiness, for a selector or per cohort: the canary and control pods as planned
 * (by uid: a killed pod counts as gone, its replacement under `replacements`), so a tolerance can say
 * `pods.cohorts.control.ready == 3` while the canary is being killed.
 */
export const podsProbe: ValueProbeType<PodsProbeAttrs, KubeConnection> = {
  kind: 'value',
  type: 'kubernetes.pods',
  driver: 'kubernetes',
  summary: 'Pods by phase, readiness and restarts, for a selector or per target cohort (canary, control, replacements).',
  attributes: POD_SELECTOR_ATTRS,
  example: POD_SELECTOR_EXAMPLE,
  parse(attrs, issues) {
    return parseSelectorOnly<KubernetesSelector>(attrs, issues, parseKubernetesSelector, SELECTOR_KEYS);
  },
  async run(ctx, a): Promise<PodsValue> {
    try {
      if (a.selector) {
        const phases: string[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
        return count(await listKubernetesTargets(ctx, { phase: phases, ...a.selector }), 0);
      }
      return await byCohort(ctx);
    } catch (err) {
      throw probeError('kubernetes.pods', err);
    }
  },
};

async function byCohort(ctx: KubeProbeContext): Promise<PodsValue> {
  const planned = cohortPods(ctx);
  const conn = ctx.connection;
  const seen = new Map<string, Target>();
  for (const namespace of probeNamespaces(ctx, undefined)) {
    const pods = (await kubeCall(ctx, { verb: 'list', resource: 'pods', namespace }, (o) => conn.core.listNamespacedPod({ namespace }, o))).items;
    const owners = await replicaSetOwners(ctx, namespace, pods);
    for (const p of pods) seen.set(p.metadata?.uid ?? '', withTerminating(podTarget(p, owners), p));
  }
  const workloads = new Set(planned.map((p) => JSON.stringify(p.target.meta?.workload ?? null)).filter((w) => w !== 'null'));
  const plannedIds = new Set(planned.map((p) => p.target.id));
  const side = (cohort: 'canary' | 'control'): PodCounts => {
    const mine = planned.filter((p) => p.cohort === cohort);
    const found = mine.map((p) => seen.get(p.target.id)).filter((t): t is Target => t !== undefined);
    return count(found, mine.length - found.length);
  };
  const replacements = count([...seen.values()].filter((t) => !plannedIds.has(t.id) && workloads.has(JSON.stringify(t.meta?.workload ?? null))), 0);
  const canary = side('canary');
  const control = side('control');
  return { ...sum([canary, control, replacements]), cohorts: { canary, control, replacements } };
}

function withTerminating(t: Target, p: K8s.V1Pod): Target {
  return { ...t, meta: { ...t.meta, terminating: Boolean(p.metadata?.deletionTimestamp), ready: isPodReady(p) } };
}

function count(targets: Target[], gone: number): PodCounts {
  const phases: Record<string, number> = {};
  for (const t of targets) phases[String(t.meta?.phase)] = (phases[String(t.meta?.phase)] ?? 0) + 1;
  const ready = targets.filter((t) => t.meta?.ready === true).length;
  return {
    total: targets.length, ready, notReady: targets.length - ready, terminating: targets.filter((t) => t.meta?.terminating === true).length, gone,
    restarts: targets.reduce((n, t) => n + Number(t.meta?.restarts ?? 0), 0), phases,
  };
}

function sum(list: PodCounts[]): PodCounts {
  const phases: Record<string, number> = {};
  for (const c of list) for (const [k, v] of Object.entries(c.phases)) phases[k] = (phases[k] ?? 0) + v;
  const add = (f: (c: PodCounts) => number): number => list.reduce((n, c) => n + f(c), 0);
  return { total: add((c) => c.total), ready: add((c) => c.ready), notReady: add((c) => c.notReady), terminating: add((c) => c.terminating), gone: add((c) => c.gone), restarts: add((c) => c.restarts), phases };
}
