import { formatDuration } from '../../../util/duration.js';
import { readDuration } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Delays the closing of connections by `delay` (Toxiproxy `slow_close`). */
export const proxySlowClose = toxicFault({
  type: 'proxy.slow-close',
  toxic: 'slow_close',
  summary: 'Delays closing connections through a proxy by delay.',
  attributes: [{ name: 'delay', kind: 'duration', required: true, summary: 'How long closing a connection is delayed.' }],
  example: { delay: '2s' },
  read(attrs, issues) {
    if (attrs.delay === undefined) issues.add('delay', 'is required', 'a duration like 2s');
    const delay = readDuration(attrs, 'delay', issues);
    return delay === undefined ? undefined : { delay: Math.round(delay) };
  },
  describe: (a) => `slow close by ${formatDuration(Number(a.attributes.delay))} ${describeCommon(a)}`,
});
