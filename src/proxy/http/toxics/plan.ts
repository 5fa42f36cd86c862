import type { CohortName } from '../../../signals/types.js';
import type { ToxicView } from '../types.js';

/** What the toxics that hit one request make the proxy do with it, composed in list order. */
export interface RequestPlan {
  /** Names of the toxics that hit, for logs. */
  applied: string[];
  /** Delay before the request goes upstream. */
  requestDelayMs: number;
  /** Delay before the response head goes to the client. */
  responseDelayMs: number;
  /** Throttles (bytes per millisecond) of the request and response bodies. */
  requestRate?: number;
  responseRate?: number;
  /** Answer at once with this status instead of forwarding. */
  abort?: { status: number; body?: string };
  /** Reset the client connection (RST): before forwarding (upstream) or instead of the response (downstream). */
  reset?: { stream: ToxicView['stream']; afterMs: number };
  /** Hold the request with no answer, then close the client connection. */
  hold?: { stream: ToxicView['stream']; timeoutMs: number; toxic: string };
}

export function emptyPlan(): RequestPlan {
  return { applied: [], requestDelayMs: 0, responseDelayMs: 0 };
}

/** Whether a toxic's `cohort` attribute (default `canary`) covers a request's cohort. */
export function coversCohort(toxic: ToxicView, cohort: CohortName): boolean {
  const target = toxic.attributes.cohort ?? 'canary';
  return target === 'all' || target === cohort;
}

/** The per-request toxicity roll: toxicity 1 always hits, 0 never. */
export function rolls(toxic: ToxicView, random: () => number): boolean {
  const t = Number.isFinite(toxic.toxicity) ? toxic.toxicity : 1;
  return t >= 1 || random() < t;
}
