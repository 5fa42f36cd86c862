import type { Instance } from './context.js';

/** How many targets are faulted (or reverted) at once unless `phases.concurrency` says otherwise. */
export const DEFAULT_CONCURRENCY = 16;
/** The most `phases.concurrency` accepts: each call in flight holds a socket to a driver's API. */
export const MAX_CONCURRENCY = 256;

/**
 * Runs `work` on each item, at most `limit` at once, starting them in the order given. Once `stop()`
 * is true no further item starts; every item already started is waited for. `work` must not throw
 * (each caller records its own failures): one item's trouble never abandons the others mid-flight.
 */
export async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/**
 * Instances that depend on each other, in plan order: all those on one target (a pause and a CPU
 * squeeze on one container), and all those without a target (process faults, proxy toxics: commands
 * and APIs whose effects may build on each other). Chains are independent of each other: they are
 * applied and reverted in parallel; within a chain, one at a time (ARCHITECTURE.md, "Faults in
 * parallel").
 */
export function chainsOf(instances: readonly Instance[]): Instance[][] {
  const chains = new Map<string, Instance[]>();
  for (const inst of instances) {
    const key = inst.target ? `${inst.target.driver}/${inst.target.id}` : '';
    let chain = chains.get(key);
    if (!chain) chains.set(key, (chain = []));
    chain.push(inst);
  }
  return [...chains.values()];
}
