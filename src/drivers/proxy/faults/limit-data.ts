import { parseBytes } from '../../../util/duration.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Closes each connection once `bytes` have passed (Toxiproxy `limit_data`). */
export const proxyLimitData = toxicFault({
  type: 'proxy.limit-data',
  toxic: 'limit_data',
  summary: 'Closes each connection through a proxy once bytes have passed.',
  attributes: [{ name: 'bytes', kind: 'size', required: true, summary: 'How much data passes on each connection before it is closed.' }],
  example: { bytes: '64KB' },
  read(attrs, issues) {
    if (attrs.bytes === undefined) {
      issues.add('bytes', 'is required', 'a size like 64KB or 1000');
      return undefined;
    }
    const bytes = parseBytes(attrs.bytes);
    if (bytes === undefined || !Number.isSafeInteger(bytes)) {
      issues.add('bytes', `is not a byte size: ${JSON.stringify(attrs.bytes)}`, 'like 64KB, 1MiB or 1000');
      return undefined;
    }
    return { bytes };
  },
  describe: (a) => `close connections after ${a.attributes.bytes} bytes ${describeCommon(a)}`,
});
