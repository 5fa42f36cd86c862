import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a lock or a claim, in enough detail to prove later that it is gone (or still there):
 * a pid alone is reused, shared by every container's first process, and meaningless after a reboot.
 */
export interface HolderIdentity {
  pid: number;
  host: string;
  /** The kernel's boot id: a different one means another boot, or another machine. */
  bootId?: string;
  /** /etc/machine-id when readable: with the host name, tells a reboot from another machine. */
  machineId?: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat): tells pid reuse apart. */
  startTime?: number;
  /** Inode of the pid namespace: pids are only comparable within one. */
  pidNamespace?: string;
  /** Container id (from the cgroup or mount table) or pod name, for people reading the lock. */
  container?: string;
  since: string;
}

/** `alive`: provably held; `dead`: provably gone; `unknown`: cannot be checked from here (another host, another container). */
export type HolderStatus = 'alive' | 'dead' | 'unknown';

/** The inode of the initial pid namespace (PROC_PID_INIT_INO): a process in it sees every process of its kernel. */
const INIT_PID_NAMESPACE = '4026531836';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
export function processStartTime(pid: number | 'self'): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

function pidNamespaceOf(pid: number | 'self'): string | undefined {
  try {
    return /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/pid`))?.[1];
  } catch {
    return undefined;
  }
}

function containerId(): string | undefined {
  const text = `${read('/proc/self/cgroup') ?? ''}\n${read('/proc/self/mountinfo') ?? ''}`;
  const id = /(?:docker[-/]|containers\/|cri-containerd-|crio-|libpod-)([0-9a-f]{64})/.exec(text)?.[1];
  if (id) return id.slice(0, 12);
  if (process.env.KUBERNETES_SERVICE_HOST) return `pod ${process.env.POD_NAME ?? hostname()}`;
  return undefined;
}

let mine: Omit<HolderIdentity, 'since'> | undefined;

/** This process's identity (computed once). */
export function currentHolder(): HolderIdentity {
  mine ??= {
    pid: process.pid,
    host: hostname(),
    ...opt('bootId', read('/proc/sys/kernel/random/boot_id')),
    ...opt('machineId', read('/etc/machine-id')),
    ...opt('startTime', processStartTime('self')),
    ...opt('pidNamespace', pidNamespaceOf('self')),
    ...opt('container', containerId()),
  };
  return { ...mine, since: new Date().toISOString() };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: V };
}

/** `pid 4242 on host-a (container 1a2b3c4d5e6f) since ...`: for messages. */
export function describeHolder(h: Partial<HolderIdentity>): string {
  return `process ${h.pid} on ${h.host ?? 'an unknown host'}${h.container ? ` (${h.container.startsWith('pod ') ? h.container : `container ${h.container}`})` : ''}${h.since ? ` since ${h.since}` : ''}`;
}

/**
 * Whether the holder still runs, when that can be proven from here:
 * - same boot and same pid namespace: its pid must exist with the recorded start time (pid reuse is dead);
 * - same boot, another pid namespace, and this process sees every process (initial namespace): some
 *   process must have the recorded start time in the recorded namespace;
 * - another boot of the same machine (same host name and machine id): it rebooted, so it is dead;
 * - anything else (another host, another container we cannot see into): unknown, left to a lease.
 * A lock written before identities were recorded (pid and host only) is judged on this host by pid.
 */
export function holderStatus(h: Partial<HolderIdentity>): HolderStatus {
  const me = currentHolder();
  if (typeof h.pid !== 'number') return 'unknown';
  if (!h.bootId || h.startTime === undefined) {
    if (h.host !== me.host) return 'unknown';
    return pidExists(h.pid) ? 'alive' : 'dead';
  }
  if (h.bootId === me.bootId) {
    if (h.pidNamespace === me.pidNamespace) return processStartTime(h.pid) === h.startTime ? 'alive' : 'dead';
    if (me.pidNamespace === INIT_PID_NAMESPACE && h.pidNamespace) return findProcess(h.startTime, h.pidNamespace) ? 'alive' : 'dead';
    return 'unknown';
  }
  if (me.bootId && h.host === me.host && h.machineId !== undefined && h.machineId === me.machineId) return 'dead';
  return 'unknown';
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Start times are in clock ticks; few processes of a kernel share one, fewer in the same namespace.
function findProcess(startTime: number, pidNamespace: string): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return true; // cannot look: never claim it is gone
  }
  return pids.some((p) => processStartTime(Number(p)) === startTime && pidNamespaceOf(Number(p)) === pidNamespace);
}
