import { getMaxListeners, setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { FirebreakError } from '../errors.js';

/** Calls that may wait on one signal at the same time before Node's listener-leak warning. */
const CONCURRENT_CALLS = 256;

/** Sleeps for `ms`, rejecting with the signal's reason as soon as the signal aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
}

/** True when an error came from an aborted signal (ours or Node's AbortError). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

/**
 * Runs `work` with a signal bounded by `ms`; rejects with FIREBREAK_E_TIMEOUT naming `what` when the
 * time runs out, or with the parent's reason when the parent aborts. `work` should honour the signal;
 * if it ignores it, the race still returns on time, unless `settleMs` asks to wait (bounded) for the
 * work to settle first.
 */
export async function withTimeout<T>(
  what: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
  opts: { settleMs?: number } = {},
): Promise<T> {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) throw parent.reason ?? new DOMException('aborted', 'AbortError');
  // Many bounded calls share a run's signal at once (a probe's queries in parallel): each listener is
  // removed when its call ends, so raise the leak warning's threshold rather than print it.
  if (parent && getMaxListeners(parent) < CONCURRENT_CALLS) setMaxListeners(CONCURRENT_CALLS, parent);
  parent?.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new FirebreakError('FIREBREAK_E_TIMEOUT', `${what} timed out after ${ms} ms`);
      controller.abort(err);
      reject(err);
    }, Math.max(1, ms));
  });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const running = work(controller.signal);
  try {
    return await Promise.race([running, timeout, aborted]);
  } catch (err) {
    // Work that changes a system must not be left running behind a revert: give it a bounded time to
    // notice the abort and settle before the caller moves on.
    if (opts.settleMs) {
      await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, opts.settleMs).unref())]);
    }
    throw err;
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParent);
    // Keep unobserved rejections of the losing racers quiet.
    timeout.catch(() => undefined);
    aborted.catch(() => undefined);
  }
}
