import os from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export type HostResource = 'cpu' | 'processCpu' | 'memory' | 'eventLoop';
export const HOST_RESOURCES: readonly HostResource[] = ['cpu', 'processCpu', 'memory', 'eventLoop'];

/** Fractions 0..1 over the time since the previous sample; `saturation` is the largest included one. */
export interface HostSample {
  /** Whole host CPU busy time over all cores. */
  cpu: number;
  /** This process's CPU time as a share of all cores. */
  processCpu: number;
  /** Host memory in use (total minus available) over total. */
  memory: number;
  /** Share of wall time this process's event loop was busy. */
  eventLoop: number;
  saturation: number;
  /** Which of the above made `saturation`. */
  limitedBy: HostResource;
}

interface CpuTimes {
  idle: number;
  total: number;
}

/** Samples host and process load as deltas between consecutive calls. */
export class HostMeter {
  private cpu: CpuTimes;
  private proc: NodeJS.CpuUsage;
  private procAt: bigint;
  private elu: EventLoopUtilization;
  private readonly cores = Math.max(1, os.availableParallelism());

  constructor(private readonly include: readonly HostResource[] = HOST_RESOURCES) {
    this.cpu = cpuTimes();
    this.proc = process.cpuUsage();
    this.procAt = process.hrtime.bigint();
    this.elu = performance.eventLoopUtilization();
  }

  sample(): HostSample {
    const cpuNow = cpuTimes();
    const totalDelta = cpuNow.total - this.cpu.total;
    const cpu = totalDelta > 0 ? 1 - (cpuNow.idle - this.cpu.idle) / totalDelta : 0;
    this.cpu = cpuNow;

    const procNow = process.cpuUsage();
    const at = process.hrtime.bigint();
    const elapsedUs = Number(at - this.procAt) / 1000;
    const procUs = procNow.user - this.proc.user + (procNow.system - this.proc.system);
    const processCpu = elapsedUs > 0 ? procUs / (elapsedUs * this.cores) : 0;
    this.proc = procNow;
    this.procAt = at;

    const eluNow = performance.eventLoopUtilization();
    const eventLoop = performance.eventLoopUtilization(eluNow, this.elu).utilization;
    this.elu = eluNow;

    const total = os.totalmem();
    const memory = total > 0 ? (total - os.freemem()) / total : 0;

    const values: Record<HostResource, number> = { cpu: clamp(cpu), processCpu: clamp(processCpu), memory: clamp(memory), eventLoop: clamp(eventLoop) };
    let limitedBy: HostResource = this.include[0] ?? 'cpu';
    for (const r of this.include) if (values[r] > values[limitedBy]) limitedBy = r;
    return { ...values, saturation: values[limitedBy], limitedBy };
  }
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
  }
  return { idle, total };
}

function clamp(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
