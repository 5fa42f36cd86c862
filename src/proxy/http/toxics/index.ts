import type { CohortName } from '../../../signals/types.js';
import type { ToxicView } from '../types.js';
import { checkKnown } from './attributes.js';
import { abortToxic } from './abort.js';
import { bandwidthToxic } from './bandwidth.js';
import type { HttpToxicKind } from './kind.js';
import { latencyToxic } from './latency.js';
import { coversCohort, emptyPlan, rolls, type RequestPlan } from './plan.js';
import { resetToxic } from './reset.js';
import { timeoutToxic } from './timeout.js';

export type { HttpToxicKind } from './kind.js';
export type { RequestPlan } from './plan.js';

const KINDS: readonly HttpToxicKind[] = [latencyToxic, abortToxic, resetToxic, bandwidthToxic, timeoutToxic];
const BY_TYPE = new Map<string, HttpToxicKind>(KINDS.flatMap((k) => k.types.map((t) => [t, k] as const)));

/** Toxic types only HTTP cohort mode knows. */
export const HTTP_TOXIC_TYPES: readonly string[] = ['http_abort', 'http_latency', 'http_reset', 'http_bandwidth'];

/** Standard Toxiproxy types that HTTP cohort mode applies per request; the others have no effect in this mode. */
export const HTTP_MAPPED_STANDARD_TYPES: readonly string[] = ['latency', 'bandwidth', 'reset_peer', 'timeout'];

/**
 * Validates an HTTP toxic's attributes (the `cohort` attribute included); returns an error message or
 * undefined. Standard types mapped into HTTP mode are checked too, accepting unknown attribute names as
 * Toxiproxy does; standard types HTTP mode ignores pass.
 */
export function validateHttpToxic(type: string, attributes: Record<string, unknown>): string | undefined {
  const kind = BY_TYPE.get(type);
  if (!kind) {
    return type.startsWith('http_') ? `unknown toxic type "${type}" (known: ${HTTP_TOXIC_TYPES.join(', ')})` : undefined;
  }
  const err = kind.validate(attributes);
  if (err) return `${type}: ${err}`;
  if (type.startsWith('http_')) {
    const unknown = checkKnown(attributes, kind.known);
    if (unknown) return `${type}: ${unknown}`;
  }
  return undefined;
}

/**
 * Rolls each toxic that covers the cohort and composes the ones that hit, in list order. With
 * `alreadyHit`, every toxic given hit the request before (a replan after one was removed): none is
 * rolled again, and jitter is left out.
 */
export function planRequest(toxics: readonly ToxicView[], cohort: CohortName, random: () => number = Math.random, opts: { alreadyHit?: boolean } = {}): RequestPlan {
  const plan = emptyPlan();
  if (opts.alreadyHit) random = () => 0.5;
  for (const toxic of toxics) {
    const kind = BY_TYPE.get(toxic.type);
    if (!kind || !coversCohort(toxic, cohort) || (!opts.alreadyHit && !rolls(toxic, random))) continue;
    kind.contribute(plan, toxic, random);
    plan.applied.push(toxic.name);
  }
  return plan;
}
