import { checkCohort, checkNumber, firstError, num } from './attributes.js';
import type { HttpToxicKind } from './kind.js';

/** `http_bandwidth` and Toxiproxy's `bandwidth`: throttles the response body (downstream) or request body (upstream) to `rate` KB/s. */
export const bandwidthToxic: HttpToxicKind = {
  types: ['http_bandwidth', 'bandwidth'],
  known: ['rate'],
  validate(attrs) {
    return firstError(checkNumber(attrs, 'rate', { required: true }), checkCohort(attrs));
  },
  contribute(plan, toxic) {
    // KB/s as Toxiproxy counts it (1 KB = 1000 bytes) is bytes per millisecond; 0 means no limit.
    const rate = num(toxic.attributes, 'rate', 0);
    if (rate <= 0) return;
    if (toxic.stream === 'upstream') plan.requestRate = Math.min(plan.requestRate ?? Infinity, rate);
    else plan.responseRate = Math.min(plan.responseRate ?? Infinity, rate);
  },
};
