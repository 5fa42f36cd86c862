import { MAX_TIMER_MS } from '../../util/duration.js';
import { TimedQueue } from './timed-queue.js';
import type { ToxicDefinition } from './types.js';

type Attrs = { latency: number; jitter: number };

/** Delays each chunk by latency ± jitter from the moment the proxy read it; order is kept. */
export const latencyToxic: ToxicDefinition<Attrs> = {
  type: 'latency',
  summary: 'Adds latency ± jitter (ms) to all data.',
  attributes: {
    latency: { default: 0, summary: 'delay in milliseconds', max: MAX_TIMER_MS },
    jitter: { default: 0, summary: 'random variation in milliseconds, ±', max: MAX_TIMER_MS },
  },
  create(attrs, out) {
    const queue = new TimedQueue(out);
    const delay = (): number => attrs.latency + (attrs.jitter > 0 ? Math.random() * 2 * attrs.jitter - attrs.jitter : 0);
    return {
      write: (chunk) => queue.add(chunk, chunk.at + delay()),
      end: () => queue.addEnd(queue.lastDue),
      get buffered() {
        return queue.buffered;
      },
      detach: () => queue.detach(),
    };
  },
};
