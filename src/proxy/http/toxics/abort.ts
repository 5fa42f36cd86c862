import { checkCohort, checkNumber, firstError, num } from './attributes.js';
import type { HttpToxicKind } from './kind.js';

/** `http_abort`: answers at once with a status (default 503) and an optional body; upstream never sees the request. */
export const abortToxic: HttpToxicKind = {
  types: ['http_abort'],
  known: ['status', 'body'],
  validate(attrs) {
    const body = attrs.body !== undefined && typeof attrs.body !== 'string' ? 'attribute "body" must be a string' : undefined;
    return firstError(checkNumber(attrs, 'status', { min: 200, max: 599, integer: true }), body, checkCohort(attrs));
  },
  contribute(plan, toxic) {
    if (plan.abort) return;
    const body = toxic.attributes.body;
    plan.abort = { status: num(toxic.attributes, 'status', 503), ...(typeof body === 'string' ? { body } : {}) };
  },
};
