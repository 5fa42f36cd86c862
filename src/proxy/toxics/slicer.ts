import { performance } from 'node:perf_hooks';
import { TimedQueue } from './timed-queue.js';
import type { ToxicDefinition } from './types.js';

type Attrs = { average_size: number; size_variation: number; delay: number };

/**
 * Cuts each chunk into pieces of about `average_size` ± `size_variation` bytes, `delay` µs apart, like
 * Toxiproxy's recursive halving. An `average_size` of 0 leaves chunks whole.
 */
export const slicerToxic: ToxicDefinition<Attrs> = {
  type: 'slicer',
  summary: 'Slices data into small pieces, optionally `delay` µs apart.',
  attributes: {
    average_size: { default: 0, summary: 'average piece size in bytes' },
    size_variation: { default: 0, summary: 'variation of the piece size in bytes, ±' },
    delay: { default: 0, summary: 'delay between pieces in microseconds' },
  },
  create(attrs, out) {
    const queue = new TimedQueue(out);
    const gapMs = attrs.delay / 1000;
    return {
      write(chunk) {
        const cuts = attrs.average_size > 0 ? sliceOffsets(chunk.data.length, attrs.average_size, attrs.size_variation) : [0, chunk.data.length];
        for (let i = 1; i < cuts.length; i++) {
          const data = chunk.data.subarray(cuts[i - 1], cuts[i]);
          const due = gapMs === 0 ? 0 : Math.max(performance.now(), queue.lastDue + gapMs);
          queue.add({ data, at: chunk.at }, due);
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

/** Piece boundaries [0, a, b, ..., size]: halve around the middle ± variation until pieces are small enough. */
export function sliceOffsets(size: number, average: number, variation: number): number[] {
  const cuts = [0];
  const split = (start: number, end: number): void => {
    if (end - start - average <= variation || end - start < 2) {
      cuts.push(end);
      return;
    }
    const shift = variation > 0 ? Math.floor(Math.random() * (2 * variation + 1)) - variation : 0;
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + shift));
    split(start, mid);
    split(mid, end);
  };
  if (size > 0) split(0, size);
  return cuts;
}
