import { MAX_TIMER_MS } from '../../util/duration.js';
import { bytesOf, type Chunk, type ToxicDefinition } from './types.js';

type Attrs = { timeout: number };

/**
 * Stops all data: it is held (and the source paused once the link's buffer fills) and never delivered.
 * After `timeout` ms the connection is closed; with 0 it stays open until the toxic is removed, and
 * removing the toxic closes it, as Toxiproxy does. The end of the input also closes the connection.
 */
export const timeoutToxic: ToxicDefinition<Attrs> = {
  type: 'timeout',
  summary: 'Stops data and closes the connection after `timeout` ms (0: never, until removed).',
  attributes: { timeout: { default: 0, summary: 'time in milliseconds; 0 holds the connection open', max: MAX_TIMER_MS } },
  onRemove: 'close',
  create(attrs, out) {
    let held: Chunk[] = [];
    const timer = attrs.timeout > 0 ? setTimeout(() => out.closeConnection(), attrs.timeout) : undefined;
    return {
      write: (chunk) => void held.push(chunk),
      end: () => out.closeConnection(),
      get buffered() {
        return bytesOf(held);
      },
      detach() {
        clearTimeout(timer);
        const all = held;
        held = [];
        return all;
      },
    };
  },
};
