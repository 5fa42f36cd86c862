import type { AttributeDoc } from '../../../experiment/attributes.js';
import { parseBytes } from '../../../util/duration.js';
import { rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { DockerConnection, EngineCallContext } from '../client.js';
import { requireContainer } from '../containers.js';
import { inspectForRevert, label, requireTarget, verifyContainer, type ContainerRef } from './common.js';
import { sameMemory, UNLIMITED_MEMORY, updateContainer } from './resources.js';

export interface MemoryAttrs {
  /** Bytes. */
  limit: number;
  /** Memory plus swap, bytes; -1 for unlimited swap. Default: the limit (no swap). */
  swap: number;
}

export interface MemoryState extends ContainerRef {
  original: { memory: number; memorySwap: number };
  limit: number;
  swap: number;
}

/** The engine's floor for a memory limit. */
export const MIN_MEMORY = 6 * 1024 * 1024;

const ATTRS: readonly AttributeDoc[] = [
  { name: 'limit', kind: 'size', required: true, summary: 'The memory limit, at least 6MiB.' },
  { name: 'swap', kind: 'size', default: 'the limit (no swap)', summary: 'Memory plus swap; -1 for unlimited swap.' },
];

/** Lowers the container's memory limit live: it reclaims, swaps, or meets the OOM killer. */
export const dockerMemory: FaultType<MemoryAttrs, MemoryState, DockerConnection> = {
  type: 'docker.memory',
  driver: 'docker',
  summary: 'Limits the container\'s memory (and memory+swap) live; revert restores the original limits.',
  scope: 'target',
  attributes: ATTRS,
  example: { limit: '64MiB' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const limit = readSize(attrs, 'limit', issues, true);
    if (limit !== undefined && limit < MIN_MEMORY) issues.add('limit', `must be at least 6MiB (the engine's minimum), got ${limit} bytes`);
    const swap = attrs.swap === -1 || attrs.swap === '-1' ? -1 : readSize(attrs, 'swap', issues, false);
    if (limit !== undefined && swap !== undefined && swap !== -1 && swap < limit) issues.add('swap', 'is memory plus swap, so it cannot be below limit');
    if (limit === undefined || issues.count > before) return undefined;
    return { limit, swap: swap ?? limit };
  },
  describe(a, target) {
    return `limit ${label(target)} to ${mib(a.limit)} memory${a.swap === -1 ? ' (swap unlimited)' : a.swap > a.limit ? ` (+${mib(a.swap - a.limit)} swap)` : ''}`;
  },
  async prepare(ctx, a, target) {
    const t = requireTarget(target, 'docker.memory');
    const info = await requireContainer(ctx, t.id);
    return {
      container: info.Id,
      name: t.name,
      original: { memory: info.HostConfig.Memory ?? 0, memorySwap: info.HostConfig.MemorySwap ?? 0 },
      limit: a.limit,
      swap: a.swap,
    };
  },
  async apply(ctx, s) {
    // Both together: the engine refuses a memory limit above the memory+swap limit already set.
    await updateContainer(ctx, s.container, { Memory: s.limit, MemorySwap: s.swap });
  },
  async revert(ctx, s) {
    if (!(await inspectForRevert(ctx, s, 'no limits to restore'))) return;
    await restoreMemory(ctx, s);
  },
  async verify(ctx, s) {
    return verifyContainer(ctx, s, (info) => {
      const memory = info.HostConfig.Memory ?? 0;
      const swap = info.HostConfig.MemorySwap ?? 0;
      const wrong: string[] = [];
      if (!sameMemory(s.original.memory, memory)) wrong.push(`Memory ${memory} (was ${s.original.memory})`);
      if (!sameMemory(s.original.memorySwap, swap)) wrong.push(`MemorySwap ${swap} (was ${s.original.memorySwap})`);
      return wrong.length ? { ok: false, detail: `${s.name}: ${wrong.join(', ')}` } : { ok: true, detail: `${s.name}: memory limits restored` };
    });
  },
};

/**
 * Puts the original limits back. The engine reads Memory 0 as "leave unchanged" and refuses -1
 * (below its 6MiB floor), so "no limit" is written as UNLIMITED_MEMORY, together with memory+swap. A
 * MemorySwap of -1 is applied in a second step: the engine records it but does not raise the
 * kernel's memory+swap limit, so the memory limit must first be raised with an explicit value.
 */
async function restoreMemory(ctx: EngineCallContext, s: MemoryState): Promise<void> {
  const memory = s.original.memory > 0 ? s.original.memory : UNLIMITED_MEMORY;
  const swapWanted = s.original.memorySwap;
  if (swapWanted > 0) {
    await updateContainer(ctx, s.container, { Memory: memory, MemorySwap: swapWanted });
    return;
  }
  await updateContainer(ctx, s.container, { Memory: memory, MemorySwap: UNLIMITED_MEMORY });
  if (swapWanted === -1) await updateContainer(ctx, s.container, { Memory: memory, MemorySwap: -1 });
}

function readSize(attrs: Record<string, unknown>, key: string, issues: IssueSink, required: boolean): number | undefined {
  const v = attrs[key];
  if (v === undefined) {
    if (required) issues.add(key, 'is required', 'a size like 64MiB');
    return undefined;
  }
  const n = parseBytes(v);
  if (n === undefined || n <= 0) issues.add(key, `is not a size: ${JSON.stringify(v)}`, 'like 64MiB, 512MB or a number of bytes');
  return n;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10}MiB`;
}
