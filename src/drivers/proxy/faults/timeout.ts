import { formatDuration } from '../../../util/duration.js';
import { readDuration } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Stops data through a proxy and closes connections after `timeout` (0: until reverted). */
export const proxyTimeout = toxicFault({
  type: 'proxy.timeout',
  toxic: 'timeout',
  summary: 'Stops all data through a proxy; closes connections after timeout (0 holds them until reverted).',
  attributes: [{ name: 'timeout', kind: 'duration', default: '0ms', summary: 'When connections are closed; 0 holds them open, silent, until the fault is reverted.' }],
  example: { timeout: '0ms' },
  read(attrs, issues) {
    const timeout = readDuration(attrs, 'timeout', issues, 0);
    return timeout === undefined ? undefined : { timeout: Math.round(timeout) };
  },
  describe: (a) => `timeout ${a.attributes.timeout ? `closing after ${formatDuration(Number(a.attributes.timeout))}` : 'holding connections'} ${describeCommon(a)}`,
});
