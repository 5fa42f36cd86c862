import { MAX_TIMER_MS } from '../../util/duration.js';
import type { ToxicDefinition } from './types.js';

type Attrs = { timeout: number };

/**
 * On the first data (or the end of the input), waits `timeout` ms and resets both sockets with a real TCP
 * RST. Data arriving meanwhile is dropped, as a reset connection would.
 */
export const resetPeerToxic: ToxicDefinition<Attrs> = {
  type: 'reset_peer',
  summary: 'Resets the connection (TCP RST) `timeout` ms after data arrives.',
  attributes: { timeout: { default: 0, summary: 'time in milliseconds before the reset', max: MAX_TIMER_MS } },
  create(attrs, out) {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer ??= setTimeout(() => out.resetConnection(), attrs.timeout);
    };
    return {
      write: arm,
      end: arm,
      buffered: 0,
      detach() {
        clearTimeout(timer);
        return [];
      },
    };
  },
};
