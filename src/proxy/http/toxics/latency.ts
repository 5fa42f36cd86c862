import { checkCohort, checkNumber, firstError, num } from './attributes.js';
import type { HttpToxicKind } from './kind.js';

/** `http_latency` and Toxiproxy's `latency`: delays the request (upstream) or the response (downstream). */
export const latencyToxic: HttpToxicKind = {
  types: ['http_latency', 'latency'],
  known: ['latency', 'jitter'],
  validate(attrs) {
    return firstError(checkNumber(attrs, 'latency'), checkNumber(attrs, 'jitter'), checkCohort(attrs));
  },
  contribute(plan, toxic, random) {
    const latency = num(toxic.attributes, 'latency', 0);
    const jitter = num(toxic.attributes, 'jitter', 0);
    const ms = Math.max(0, latency + (random() * 2 - 1) * jitter);
    if (toxic.stream === 'upstream') plan.requestDelayMs += ms;
    else plan.responseDelayMs += ms;
  },
};
