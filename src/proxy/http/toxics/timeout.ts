import { checkCohort, checkNumber, firstError, num } from './attributes.js';
import type { HttpToxicKind } from './kind.js';

/**
 * Toxiproxy's `timeout` in HTTP mode: the request gets no answer; after `timeout` ms the client
 * connection is closed, and with 0 it is held until the toxic is removed, then closed. Upstream stream:
 * the request is never forwarded; downstream: it is forwarded and the response is dropped.
 */
export const timeoutToxic: HttpToxicKind = {
  types: ['timeout'],
  known: ['timeout'],
  validate(attrs) {
    return firstError(checkNumber(attrs, 'timeout'), checkCohort(attrs));
  },
  contribute(plan, toxic) {
    if (plan.hold) return;
    plan.hold = { stream: toxic.stream, timeoutMs: num(toxic.attributes, 'timeout', 0), toxic: toxic.name };
  },
};
