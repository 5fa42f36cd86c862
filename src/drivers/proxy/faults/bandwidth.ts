import { readNumber } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Limits a proxy's throughput to `rate` KB/s (Toxiproxy `bandwidth`). */
export const proxyBandwidth = toxicFault({
  type: 'proxy.bandwidth',
  toxic: 'bandwidth',
  summary: 'Limits the throughput of a proxy to rate KB/s.',
  attributes: [{ name: 'rate', kind: 'integer', unit: 'KB/s', min: 1, required: true, summary: 'The most data per second through the proxy.' }],
  example: { rate: 64 },
  read(attrs, issues) {
    const rate = readNumber(attrs, 'rate', issues, { required: true, integer: true, min: 1 });
    return rate === undefined ? undefined : { rate };
  },
  describe: (a) => `bandwidth ${a.attributes.rate} KB/s ${describeCommon(a)}`,
});
