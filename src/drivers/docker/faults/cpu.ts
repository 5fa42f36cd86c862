import type { AttributeDoc } from '../../../experiment/attributes.js';
import { FirebreakError } from '../../../errors.js';
import { readNumber, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import type { DockerConnection } from '../client.js';
import { requireContainer } from '../containers.js';
import { inspectForRevert, label, requireTarget, verifyContainer, type ContainerRef } from './common.js';
import { DEFAULT_CPU_PERIOD, DEFAULT_CPU_SHARES, sameQuota, samePeriod, sameShares, updateContainer } from './resources.js';

export interface CpuAttrs {
  /** CPUs the container may use, e.g. 0.25. */
  cpus?: number;
  /** CFS quota and period in microseconds (instead of `cpus`). */
  quota?: number;
  period?: number;
  shares?: number;
}

export interface CpuOriginal {
  nanoCpus: number;
  cpuQuota: number;
  cpuPeriod: number;
  cpuShares: number;
  [key: string]: number;
}

export interface CpuState extends ContainerRef {
  original: CpuOriginal;
  /** The update body apply sends. */
  squeeze: { [key: string]: number };
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'cpus', kind: 'number', min: 0.01, summary: 'The CPUs the container may use, e.g. 0.25 (instead of quota).' },
  { name: 'quota', kind: 'integer', unit: 'µs', min: 1000, summary: 'The CFS quota per period (instead of cpus).' },
  { name: 'period', kind: 'integer', unit: 'µs', min: 1000, max: 1_000_000, default: 100000, summary: 'The CFS period the quota is out of.' },
  { name: 'shares', kind: 'integer', min: 2, summary: 'The relative CPU weight (1024 is the default weight).' },
];

/**
 * Squeezes the container's CPU with a live update. The limit is written the way the container already
 * has it: as NanoCpus when it was created with `--cpus`, else as CFS quota and period, because the
 * engine refuses to mix the two and cannot unset NanoCpus once set.
 */
export const dockerCpu: FaultType<CpuAttrs, CpuState, DockerConnection> = {
  type: 'docker.cpu',
  driver: 'docker',
  summary: 'Limits the container\'s CPU (quota/period, NanoCpus or shares) live; revert restores the original limits.',
  scope: 'target',
  attributes: ATTRS,
  example: { cpus: 0.25 },
  parse(attrs, issues) {
    rejectUnknown(attrs, ATTRS, issues);
    const before = issues.count;
    const cpus = readNumber(attrs, 'cpus', issues, { min: 0.01 });
    const quota = readNumber(attrs, 'quota', issues, { min: 1000, integer: true });
    const period = readNumber(attrs, 'period', issues, { min: 1000, max: 1_000_000, integer: true });
    const shares = readNumber(attrs, 'shares', issues, { min: 2, integer: true });
    if (cpus !== undefined && quota !== undefined) issues.add('quota', 'give cpus or quota, not both');
    if (cpus === undefined && quota === undefined && shares === undefined && issues.count === before) {
      issues.add('', 'docker.cpu needs cpus, quota or shares');
    }
    if (issues.count > before) return undefined;
    return { ...(cpus !== undefined ? { cpus } : {}), ...(quota !== undefined ? { quota } : {}), ...(period !== undefined ? { period } : {}), ...(shares !== undefined ? { shares } : {}) };
  },
  describe(a, target) {
    const parts: string[] = [];
    if (a.cpus !== undefined) parts.push(`${a.cpus} CPU`);
    if (a.quota !== undefined) parts.push(`quota ${a.quota}µs/${a.period ?? DEFAULT_CPU_PERIOD}µs`);
    if (a.shares !== undefined) parts.push(`${a.shares} shares`);
    return `limit ${label(target)} to ${parts.join(', ')}`;
  },
  async prepare(ctx, a, target) {
    const t = requireTarget(target, 'docker.cpu');
    const info = await requireContainer(ctx, t.id);
    const hc = info.HostConfig;
    const original: CpuOriginal = {
      nanoCpus: hc.NanoCpus ?? 0,
      cpuQuota: hc.CpuQuota ?? 0,
      cpuPeriod: hc.CpuPeriod ?? 0,
      cpuShares: hc.CpuShares ?? 0,
    };
    return { container: info.Id, name: t.name, original, squeeze: squeezeBody(a, original) };
  },
  async apply(ctx, s) {
    await updateContainer(ctx, s.container, s.squeeze);
  },
  async revert(ctx, s) {
    if (!(await inspectForRevert(ctx, s, 'no limits to restore'))) return;
    await updateContainer(ctx, s.container, restoreBody(s));
  },
  async verify(ctx, s) {
    return verifyContainer(ctx, s, (info) => {
      const hc = info.HostConfig;
      const o = s.original;
      const wrong: string[] = [];
      if ((hc.NanoCpus ?? 0) !== o.nanoCpus) wrong.push(`NanoCpus ${hc.NanoCpus} (was ${o.nanoCpus})`);
      if (!sameQuota(o.cpuQuota, hc.CpuQuota ?? 0)) wrong.push(`CpuQuota ${hc.CpuQuota} (was ${o.cpuQuota})`);
      if (!samePeriod(o.cpuPeriod, hc.CpuPeriod ?? 0)) wrong.push(`CpuPeriod ${hc.CpuPeriod} (was ${o.cpuPeriod})`);
      if (!sameShares(o.cpuShares, hc.CpuShares ?? 0)) wrong.push(`CpuShares ${hc.CpuShares} (was ${o.cpuShares})`);
      return wrong.length ? { ok: false, detail: `${s.name}: ${wrong.join(', ')}` } : { ok: true, detail: `${s.name}: CPU limits restored` };
    });
  },
};

function squeezeBody(a: CpuAttrs, o: CpuOriginal): { [key: string]: number } {
  const body: { [key: string]: number } = {};
  if (a.cpus !== undefined || a.quota !== undefined) {
    const period = a.period ?? (o.cpuPeriod > 0 ? o.cpuPeriod : DEFAULT_CPU_PERIOD);
    const cpus = a.cpus ?? a.quota! / period;
    if (o.nanoCpus > 0) body.NanoCpus = Math.round(cpus * 1e9);
    else {
      body.CpuPeriod = period;
      body.CpuQuota = Math.max(1000, Math.round(cpus * period));
    }
  }
  if (a.shares !== undefined) body.CpuShares = a.shares;
  if (Object.keys(body).length === 0) throw new FirebreakError('FIREBREAK_E_INTERNAL', 'docker.cpu: nothing to change');
  return body;
}

/**
 * The update that puts the original limits back. The engine reads 0 as "leave unchanged", so an unset
 * original is written as its explicit equivalent: quota -1 (none), period 100000, shares 1024.
 */
export function restoreBody(s: CpuState): { [key: string]: number } {
  const o = s.original;
  const body: { [key: string]: number } = {};
  if ('NanoCpus' in s.squeeze) body.NanoCpus = o.nanoCpus;
  if ('CpuQuota' in s.squeeze || 'CpuPeriod' in s.squeeze) {
    body.CpuQuota = o.cpuQuota !== 0 ? o.cpuQuota : -1;
    body.CpuPeriod = o.cpuPeriod > 0 ? o.cpuPeriod : DEFAULT_CPU_PERIOD;
  }
  if ('CpuShares' in s.squeeze) body.CpuShares = o.cpuShares > 0 ? o.cpuShares : DEFAULT_CPU_SHARES;
  return body;
}
