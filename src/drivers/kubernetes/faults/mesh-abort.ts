import { readNumber } from '../../core/attrs.js';
import { meshFault } from './mesh-route.js';

/** Istio fault injection: answers the canary's requests with an HTTP error through a cloned VirtualService route. */
export const meshAbort = meshFault('mesh.abort', "Answers the canary's requests with an HTTP error status via an Istio route inserted first in a VirtualService; revert removes exactly that route.", {
  mark: 'mesh-abort',
  attributes: [{ name: 'status', kind: 'integer', min: 200, max: 599, default: 503, summary: 'The HTTP status the caught requests are answered with.' }],
  example: { status: 503 },
  parse(attrs, issues) {
    const status = readNumber(attrs, 'status', issues, { integer: true, min: 200, max: 599, fallback: 503 });
    return status === undefined ? undefined : { status };
  },
  describe: (f) => `answer HTTP ${String(f.status)} to`,
  fault: (f, percentage) => ({ abort: { httpStatus: Number(f.status), percentage: { value: percentage } } }),
});
