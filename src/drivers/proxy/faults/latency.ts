import { formatDuration } from '../../../util/duration.js';
import { readDuration } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Adds latency ± jitter to a proxy's traffic (Toxiproxy `latency`). */
export const proxyLatency = toxicFault({
  type: 'proxy.latency',
  toxic: 'latency',
  summary: 'Delays data through a proxy by latency ± jitter.',
  attributes: [
    { name: 'latency', kind: 'duration', required: true, summary: 'The delay added to data through the proxy.' },
    { name: 'jitter', kind: 'duration', default: '0ms', summary: 'A random variation of up to this much either way.' },
  ],
  example: { latency: '300ms', jitter: '50ms' },
  read(attrs, issues) {
    if (attrs.latency === undefined) issues.add('latency', 'is required', 'a duration like 300ms');
    const latency = readDuration(attrs, 'latency', issues);
    const jitter = readDuration(attrs, 'jitter', issues, 0);
    if (latency === undefined || jitter === undefined) return undefined;
    return { latency: Math.round(latency), jitter: Math.round(jitter) };
  },
  describe: (a) => `latency ${formatDuration(Number(a.attributes.latency))}${a.attributes.jitter ? ` ±${formatDuration(Number(a.attributes.jitter))}` : ''} ${describeCommon(a)}`,
});
