import { FirebreakError } from '../../../errors.js';
import { readNumber, readString } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Answers requests with an HTTP error instead of forwarding them (`http_abort`; cohort mode only). */
export const proxyAbort = toxicFault({
  type: 'proxy.abort',
  toxic: 'http_abort',
  summary: 'Answers requests through a proxy in cohort mode with an HTTP error status (canary cohort by default).',
  attributes: [
    { name: 'status', kind: 'integer', required: true, min: 100, max: 599, summary: 'The HTTP status to answer with, e.g. 503.' },
    { name: 'body', kind: 'string', summary: 'The response body.', default: 'empty' },
  ],
  example: { status: 503 },
  stream: false,
  read(attrs, issues) {
    const status = readNumber(attrs, 'status', issues, { required: true, integer: true, min: 100, max: 599 });
    const body = readString(attrs, 'body', issues);
    return status === undefined ? undefined : { status, ...(body !== undefined ? { body } : {}) };
  },
  check(proxy, a) {
    if (!proxy.cohort) {
      throw new FirebreakError('FIREBREAK_E_PROXY', `proxy.abort needs proxy "${a.proxy}" in HTTP cohort mode (give it a "cohort" setting)`);
    }
  },
  describe: (a) => `abort requests with HTTP ${a.attributes.status} ${describeCommon({ ...a, cohort: a.cohort ?? 'canary' }, false)}`,
});
