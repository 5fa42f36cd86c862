import type * as HandlerModule from './http/handler.js';

/** The HTTP cohort handler's module (src/proxy/http/handler.ts), loaded on first use. */
export type CohortModule = typeof HandlerModule;
export type { CohortSettings, HttpCohortHandler, RequestObservation, ToxicView } from './http/handler.js';

/** Standard toxics a proxy in cohort mode applies per request (to the canary cohort by default). */
export const COHORT_TCP_TOXICS: readonly string[] = ['latency', 'bandwidth', 'reset_peer', 'timeout'];

let loading: Promise<CohortModule> | undefined;

/**
 * Loads the HTTP cohort handler lazily, so a server with only TCP proxies never pulls in the HTTP
 * machinery. A failed load rejects and is retried on the next call.
 */
export async function loadCohortModule(): Promise<CohortModule> {
  loading ??= import('./http/handler.js').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
