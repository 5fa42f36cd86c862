import { formatDuration } from '../../../util/duration.js';
import { readDuration } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Resets connections (TCP RST) `timeout` after data arrives (Toxiproxy `reset_peer`). */
export const proxyReset = toxicFault({
  type: 'proxy.reset',
  toxic: 'reset_peer',
  summary: 'Resets connections through a proxy with a TCP RST, timeout after data arrives.',
  attributes: [{ name: 'timeout', kind: 'duration', default: '0ms', summary: 'How long after data arrives the connection is reset.' }],
  example: { timeout: '100ms' },
  read(attrs, issues) {
    const timeout = readDuration(attrs, 'timeout', issues, 0);
    return timeout === undefined ? undefined : { timeout: Math.round(timeout) };
  },
  describe: (a) => `reset connections${a.attributes.timeout ? ` after ${formatDuration(Number(a.attributes.timeout))}` : ''} ${describeCommon(a)}`,
});
