import { performance } from 'node:perf_hooks';
import { passThrough } from './noop.js';
import { TimedQueue } from './timed-queue.js';
import type { ToxicDefinition } from './types.js';

type Attrs = { rate: number };

/**
 * Limits throughput to `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy). Large chunks go out in 100 ms
 * slices so the flow stays smooth; idle time earns no credit. A rate of 0 means no limit.
 */
export const bandwidthToxic: ToxicDefinition<Attrs> = {
  type: 'bandwidth',
  summary: 'Limits the rate to `rate` KB/s.',
  attributes: { rate: { default: 0, summary: 'rate in KB/s' } },
  create(attrs, out) {
    if (attrs.rate <= 0) return passThrough(out);
    const queue = new TimedQueue(out);
    const slice = Math.max(1, attrs.rate * 100);
    return {
      write(chunk) {
        for (let off = 0; off < chunk.data.length; off += slice) {
          const data = chunk.data.subarray(off, off + slice);
          const start = Math.max(performance.now(), queue.lastDue);
          queue.add({ data, at: chunk.at }, start + data.length / attrs.rate);
        }
      },
      end: () => queue.addEnd(queue.lastDue),
      get buffered() {
        return queue.buffered;
      },
      detach: () => queue.detach(),
    };
  },
};
