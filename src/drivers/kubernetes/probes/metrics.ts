import type { ValueProbeType } from '../../../probes/types.js';
import { parseSelectorOnly } from '../../core/attrs.js';
import { kubeCall, probeError, statusOf, type KubeConnection } from '../client.js';
import { parseKubernetesSelector, type KubernetesSelector } from '../selector.js';
import { listKubernetesTargets } from '../targets.js';
import { cohortPods, probeNamespaces, POD_SELECTOR_ATTRS, POD_SELECTOR_EXAMPLE, SELECTOR_KEYS } from './common.js';

export interface MetricsProbeAttrs {
  selector?: KubernetesSelector;
}

export interface Usage {
  pods: number;
  /** CPU in millicores: summed over the pods, and the busiest pod's. */
  cpuMillicores: number;
  maxCpuMillicores: number;
  /** Memory in bytes (working set): summed, and the largest pod's. */
  memoryBytes: number;
  maxMemoryBytes: number;
}

export interface MetricsValue extends Usage {
  /** False when the cluster serves no metrics.k8s.io (no metrics-server): nothing was measured. */
  available: boolean;
  cohorts?: { canary: Usage; control: Usage };
}

/**
 * Pod CPU and memory from the metrics API (metrics-server), for a selector or per target cohort. A
 * cluster without the metrics API answers `available: false` rather than failing the probe.
 */
export const podMetricsProbe: ValueProbeType<MetricsProbeAttrs, KubeConnection> = {
  kind: 'value',
  type: 'kubernetes.pod-metrics',
  driver: 'kubernetes',
  summary: 'Pod CPU (millicores) and memory (bytes) from metrics.k8s.io, for a selector or per target cohort; available: false without a metrics server.',
  attributes: POD_SELECTOR_ATTRS,
  example: POD_SELECTOR_EXAMPLE,
  parse(attrs, issues) {
    return parseSelectorOnly<KubernetesSelector>(attrs, issues, parseKubernetesSelector, SELECTOR_KEYS);
  },
  async run(ctx, a): Promise<MetricsValue> {
    const conn = ctx.connection;
    try {
      const wanted = a.selector ? (await listKubernetesTargets(ctx, a.selector)).map((target) => ({ target, cohort: undefined })) : cohortPods(ctx);
      const namespaces = a.selector ? [...new Set(wanted.map((w) => String(w.target.meta?.namespace)))] : probeNamespaces(ctx, undefined);
      const usage = new Map<string, { cpu: number; memory: number }>();
      for (const namespace of namespaces) {
        let list: { items?: { metadata?: { name?: string }; containers?: { usage?: { cpu?: string; memory?: string } }[] }[] };
        try {
          list = await kubeCall(ctx, { verb: 'list', resource: 'pods', group: 'metrics.k8s.io', namespace }, (o) => conn.custom.listNamespacedCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', namespace, plural: 'pods' }, o));
        } catch (err) {
          if (statusOf(err) === 404 || statusOf(err) === 503) return { available: false, ...empty() };
          throw err;
        }
        for (const m of list.items ?? []) {
          const cs = m.containers ?? [];
          usage.set(`${namespace}/${m.metadata?.name}`, { cpu: cs.reduce((n, c) => n + cpuMillicores(c.usage?.cpu), 0), memory: cs.reduce((n, c) => n + bytes(c.usage?.memory), 0) });
        }
      }
      const total = (sel: (c: 'canary' | 'control' | undefined) => boolean): Usage => {
        const found = wanted.filter((w) => sel(w.cohort)).map((w) => usage.get(`${w.target.meta?.namespace}/${w.target.name}`)).filter((u): u is { cpu: number; memory: number } => u !== undefined);
        return { pods: found.length, cpuMillicores: round(found.reduce((n, u) => n + u.cpu, 0)), maxCpuMillicores: round(Math.max(0, ...found.map((u) => u.cpu))), memoryBytes: found.reduce((n, u) => n + u.memory, 0), maxMemoryBytes: Math.max(0, ...found.map((u) => u.memory)) };
      };
      const value: MetricsValue = { available: true, ...total(() => true) };
      if (!a.selector && ctx.targets) value.cohorts = { canary: total((c) => c === 'canary'), control: total((c) => c === 'control') };
      return value;
    } catch (err) {
      throw probeError('kubernetes.pod-metrics', err);
    }
  },
};


function empty(): Usage {
  return { pods: 0, cpuMillicores: 0, maxCpuMillicores: 0, memoryBytes: 0, maxMemoryBytes: 0 };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** A CPU quantity (`250m`, `1`, `1500000n`, `12u`) in millicores. */
export function cpuMillicores(q: string | undefined): number {
  const m = /^([0-9.]+)(n|u|m)?$/.exec(q ?? '');
  if (!m) return 0;
  const v = Number(m[1]);
  return m[2] === 'n' ? v / 1e6 : m[2] === 'u' ? v / 1e3 : m[2] === 'm' ? v : v * 1000;
}

/** A memory quantity (`64Mi`, `1Gi`, `123456Ki`, `100M`, `1e3`, bytes) in bytes. */
export function bytes(q: string | undefined): number {
  const m = /^([0-9.]+(?:e[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$/.exec(q ?? '');
  if (!m) return 0;
  const mult: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };
  return Math.round(Number(m[1]) * (m[2] ? mult[m[2]]! : 1));
}
