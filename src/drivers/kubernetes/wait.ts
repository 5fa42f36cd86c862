import type { Logger } from 'pino';
import { isAbortError, sleep } from '../../util/abort.js';
import { watchCollection, type CallTarget, type KubeCallContext, type WatchRequest } from './client.js';

/** How often a wait looks again even when its watch brought no event (a watch can end or lag). */
const RECHECK_MS = 2_000;
/** Watches a wait may open in turn, each bounded by the deadline (a server may end a watch early). */
const MAX_WATCHES = 30;

export interface WaitSpec {
  target: CallTarget;
  watch: Omit<WatchRequest, 'resourceVersion'>;
  /** Epoch ms: the wait gives up then, answering undefined. */
  deadline: number;
}

/**
 * Waits until `check` answers something, or the deadline passes (undefined), or the caller's signal
 * aborts (rejects). `check` runs at once, then whenever the watched collection changes, and at least
 * every two seconds. Each watch is bounded by the deadline (and told so with timeoutSeconds); a watch
 * that fails is opened again, a bounded number of times, while the periodic check carries on.
 */
export async function waitUntil<T>(ctx: KubeCallContext & { logger?: Logger }, spec: WaitSpec, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let wake: (() => void) | undefined;
  const watching = (async () => {
    for (let n = 0; n < MAX_WATCHES && !stop.signal.aborted; n++) {
      const remaining = spec.deadline - Date.now();
      if (remaining <= 0) return;
      try {
        await watchCollection({ ...ctx, signal: stop.signal }, spec.target, { ...spec.watch, resourceVersion: '' }, remaining + 1_000, () => {
          wake?.();
          return false;
        });
      } catch (err) {
        if (stop.signal.aborted) return;
        ctx.logger?.debug({ err: (err as Error).message }, 'watch ended with an error; looking again');
        await sleep(500, stop.signal).catch(() => undefined);
      }
    }
  })();
  try {
    for (;;) {
      const found = await check();
      if (found !== undefined) return found;
      const remaining = spec.deadline - Date.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, Math.min(remaining, RECHECK_MS));
        const aborted = (): void => {
          clearTimeout(timer);
          reject(ctx.signal.reason ?? new DOMException('aborted', 'AbortError'));
        };
        function done(): void {
          clearTimeout(timer);
          ctx.signal.removeEventListener('abort', aborted);
          wake = undefined;
          resolve();
        }
        if (ctx.signal.aborted) return aborted();
        ctx.signal.addEventListener('abort', aborted, { once: true });
        wake = done;
      });
    }
  } finally {
    stop.abort();
    ctx.signal.removeEventListener('abort', onAbort);
    await watching.catch((err: unknown) => (isAbortError(err) ? undefined : undefined));
  }
}
