import { checkCohort, checkNumber, firstError, num } from './attributes.js';
import type { HttpToxicKind } from './kind.js';

/**
 * `http_reset` and Toxiproxy's `reset_peer`: resets the client connection (TCP RST) after `timeout` ms.
 * Upstream stream: the request is never forwarded. Downstream: it is forwarded, and the RST replaces the
 * response, `timeout` ms after the response head arrived.
 */
export const resetToxic: HttpToxicKind = {
  types: ['http_reset', 'reset_peer'],
  known: ['timeout'],
  validate(attrs) {
    return firstError(checkNumber(attrs, 'timeout'), checkCohort(attrs));
  },
  contribute(plan, toxic) {
    if (plan.reset) return;
    plan.reset = { stream: toxic.stream, afterMs: num(toxic.attributes, 'timeout', 0) };
  },
};
