import { formatDuration } from '../../../util/duration.js';
import { readDuration } from '../../core/attrs.js';
import { meshFault } from './mesh-route.js';

/** Istio fault injection: delays the canary's requests through a cloned VirtualService route. */
export const meshDelay = meshFault('mesh.delay', "Delays the canary's requests with an Istio route inserted first in a VirtualService; revert removes exactly that route.", {
  mark: 'mesh-delay',
  attributes: [{ name: 'delay', kind: 'duration', required: true, summary: 'The fixed delay added to each caught request.' }],
  example: { delay: '300ms' },
  parse(attrs, issues) {
    const ms = readDuration(attrs, 'delay', issues);
    if (ms === undefined) {
      if (attrs.delay === undefined) issues.add('delay', 'is required', 'like 300ms');
      return undefined;
    }
    if (ms <= 0) {
      issues.add('delay', 'must be above 0');
      return undefined;
    }
    return { delayMs: ms };
  },
  describe: (f) => `delay by ${formatDuration(Number(f.delayMs))}`,
  fault: (f, percentage) => ({ delay: { fixedDelay: `${Number(f.delayMs) / 1000}s`, percentage: { value: percentage } } }),
});
