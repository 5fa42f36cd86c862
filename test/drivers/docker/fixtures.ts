import { strict as assert } from 'node:assert';
import { containerEvents, engineNow } from '../../../src/drivers/docker/containers.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import type { FaultType } from '../../../src/faults/types.js';
import { waitUntil, type DockerTestbed } from '../../helpers/docker.js';

/** A fault's attributes parsed from raw input, which must be valid. */
export function parsed<A>(fault: FaultType<A, any, any>, raw: Record<string, unknown> = {}): A {
  const issues = collectIssues();
  const a = fault.parse(raw, issues);
  assert.deepEqual(issues.issues, []);
  return a!;
}

/** A busybox command that ignores SIGTERM: `docker stop` has to wait out the grace period. */
export const IGNORES_TERM = ['sh', '-c', 'trap "" TERM; sleep 600'];

/** A busybox command that takes `seconds` to shut down on SIGTERM, then exits 0. */
export function slowToExit(seconds: number): string[] {
  return ['sh', '-c', `trap 'sleep ${seconds}; exit 0' TERM; sleep 600 & wait`];
}

/** Waits until the engine reports a `kill` event for the container (a signal reached it) since `sinceMs`. */
export async function waitForSignal(bed: DockerTestbed, id: string, sinceMs: number, timeoutMs = 5_000): Promise<void> {
  const ctx = bed.faultContext();
  await waitUntil(
    async () => (await containerEvents(ctx, id, sinceMs, await engineNow(ctx), ['kill'])).length > 0,
    timeoutMs,
    `a signal to reach ${id.slice(0, 12)}`,
    50,
  );
}
