import type { Chunk, ToxicDefinition, ToxicOutput, ToxicStage } from './types.js';

/** Passes everything through; also what a toxic becomes on a connection its toxicity roll spared. */
export function passThrough(out: ToxicOutput): ToxicStage {
  return {
    write: (chunk: Chunk) => out.push(chunk),
    end: () => out.end(),
    buffered: 0,
    detach: () => [],
  };
}

export const noopToxic: ToxicDefinition = {
  type: 'noop',
  summary: 'Passes data through unchanged.',
  attributes: {},
  create: (_attrs, out) => passThrough(out),
};
