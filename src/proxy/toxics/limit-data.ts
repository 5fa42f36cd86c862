import type { ToxicDefinition } from './types.js';

type Attrs = { bytes: number };
interface State {
  sent: number;
}

/** Lets `bytes` bytes through on the connection (counted across attribute changes), then closes it. */
export const limitDataToxic: ToxicDefinition<Attrs> = {
  type: 'limit_data',
  summary: 'Closes the connection once `bytes` bytes have passed.',
  attributes: { bytes: { default: 0, summary: 'bytes to let through before closing' } },
  newState: (): State => ({ sent: 0 }),
  create(attrs, out, raw) {
    const state = raw as State;
    let closed = false;
    return {
      write(chunk) {
        if (closed) return;
        const room = Math.max(0, attrs.bytes - state.sent);
        const data = room < chunk.data.length ? chunk.data.subarray(0, room) : chunk.data;
        if (data.length > 0) {
          state.sent += data.length;
          out.push(data === chunk.data ? chunk : { data, at: chunk.at });
        }
        if (state.sent >= attrs.bytes) {
          closed = true;
          out.closeConnection();
        }
      },
      end: () => out.end(),
      buffered: 0,
      detach: () => [],
    };
  },
};
