import type { JsonObject } from '../../../faults/types.js';
import type { EngineCallContext } from '../client.js';
import { engineCall } from '../client.js';
import { short } from '../containers.js';

/** Live-updates a container's resource limits (`docker update`). */
export async function updateContainer(ctx: EngineCallContext, id: string, body: JsonObject): Promise<void> {
  await engineCall(ctx, `update ${short(id)} ${JSON.stringify(body)}`, (abortSignal) =>
    ctx.connection.docker.getContainer(id).update({ ...body, abortSignal }),
  );
}

/** The kernel's CFS period when none is set, in microseconds. */
export const DEFAULT_CPU_PERIOD = 100_000;
/** cpu.shares when none is set. */
export const DEFAULT_CPU_SHARES = 1024;
/**
 * What "no memory limit" is written back as when the engine cannot be told 0: 2^53 bytes (8 PiB),
 * page-aligned, exact as a JSON number, and far above any host's memory.
 */
export const UNLIMITED_MEMORY = 2 ** 53;

/** A quota of 0 (unset) or any negative value means no CPU quota. */
export function sameQuota(original: number, current: number): boolean {
  return original <= 0 ? current <= 0 : current === original;
}

export function samePeriod(original: number, current: number): boolean {
  const norm = (x: number): number => (x <= 0 ? DEFAULT_CPU_PERIOD : x);
  return norm(original) === norm(current);
}

export function sameShares(original: number, current: number): boolean {
  const norm = (x: number): number => (x <= 0 ? DEFAULT_CPU_SHARES : x);
  return norm(original) === norm(current);
}

/** 0 (unset), -1 and the UNLIMITED_MEMORY marker all mean "no limit". */
export function sameMemory(original: number, current: number): boolean {
  const unlimited = (x: number): boolean => x <= 0 || x >= UNLIMITED_MEMORY;
  return unlimited(original) ? unlimited(current) : current === original;
}
