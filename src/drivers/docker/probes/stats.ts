import type Docker from 'dockerode';

/** Cumulative CPU counters of one sample, kept between collections. */
export interface CpuSample {
  /** Container CPU time, ns. */
  usage: number;
  /** Host CPU time over all CPUs, ns (absent on some platforms). */
  system: number;
  onlineCpus: number;
  /** When the sample was read (epoch ms). */
  at: number;
}

export function cpuSample(stats: Docker.CPUStats | undefined, at: number): CpuSample | undefined {
  if (!stats?.cpu_usage || typeof stats.cpu_usage.total_usage !== 'number' || stats.cpu_usage.total_usage === 0) return undefined;
  const online = stats.online_cpus || stats.cpu_usage.percpu_usage?.length || 1;
  return { usage: stats.cpu_usage.total_usage, system: stats.system_cpu_usage ?? 0, onlineCpus: online, at };
}

/**
 * CPUs the container used between two samples, like `docker stats`: its share of the host's CPU time
 * times the number of CPUs; wall-clock time stands in when the host counter is missing.
 */
export function cpusUsed(prev: CpuSample, now: CpuSample): number | undefined {
  const used = now.usage - prev.usage;
  if (used < 0) return undefined;
  const system = now.system - prev.system;
  if (system > 0) return (used / system) * now.onlineCpus;
  const wallNs = (now.at - prev.at) * 1e6;
  return wallNs > 0 ? used / wallNs : undefined;
}

/** CPUs the container may use: its NanoCpus or quota/period limit, else every online CPU. */
export function cpusAllowed(host: Docker.HostConfig | undefined, onlineCpus: number): number {
  const nano = host?.NanoCpus ?? 0;
  if (nano > 0) return Math.min(onlineCpus, nano / 1e9);
  const quota = host?.CpuQuota ?? 0;
  const period = host?.CpuPeriod && host.CpuPeriod > 0 ? host.CpuPeriod : 100_000;
  if (quota > 0) return Math.min(onlineCpus, quota / period);
  return onlineCpus;
}

/**
 * Memory in use over the limit, 0..1. Page cache that can be dropped is left out the way `docker stats`
 * does (inactive_file on cgroup v2, total_inactive_file on v1).
 */
export function memoryFraction(mem: Docker.MemoryStats | undefined): number | undefined {
  if (!mem || !mem.limit || typeof mem.usage !== 'number') return undefined;
  const s = (mem.stats ?? {}) as Partial<Record<string, number>>;
  const cache = s.total_inactive_file ?? s.inactive_file ?? 0;
  const used = Math.max(0, mem.usage - (cache < mem.usage ? cache : 0));
  return clamp01(used / mem.limit);
}

export function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
