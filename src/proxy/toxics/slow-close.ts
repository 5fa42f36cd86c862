import { MAX_TIMER_MS } from '../../util/duration.js';
import type { ToxicDefinition } from './types.js';

type Attrs = { delay: number };

/** Holds the end of the stream (the FIN) back for `delay` ms; data passes at once. */
export const slowCloseToxic: ToxicDefinition<Attrs> = {
  type: 'slow_close',
  summary: 'Delays closing the connection by `delay` ms.',
  attributes: { delay: { default: 0, summary: 'delay in milliseconds', max: MAX_TIMER_MS } },
  create(attrs, out) {
    let timer: NodeJS.Timeout | undefined;
    return {
      write: (chunk) => out.push(chunk),
      end() {
        timer = setTimeout(() => out.end(), attrs.delay);
      },
      buffered: 0,
      detach() {
        clearTimeout(timer);
        return [];
      },
    };
  },
};
