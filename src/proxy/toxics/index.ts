import { bandwidthToxic } from './bandwidth.js';
import { latencyToxic } from './latency.js';
import { limitDataToxic } from './limit-data.js';
import { noopToxic } from './noop.js';
import { registerToxic } from './registry.js';
import { resetPeerToxic } from './reset-peer.js';
import { slicerToxic } from './slicer.js';
import { slowCloseToxic } from './slow-close.js';
import { timeoutToxic } from './timeout.js';
import type { ToxicDefinition } from './types.js';

/** The TCP toxics firebreak ships, registered under Toxiproxy's names. */
export const BUILTIN_TOXICS: readonly ToxicDefinition<any>[] = [
  noopToxic,
  latencyToxic,
  bandwidthToxic,
  slowCloseToxic,
  timeoutToxic,
  resetPeerToxic,
  slicerToxic,
  limitDataToxic,
];

for (const def of BUILTIN_TOXICS) registerToxic(def);

export { registerToxic, toxicDefinition, toxicTypes } from './registry.js';
export { TimedQueue } from './timed-queue.js';
export { passThrough } from './noop.js';
export { sliceOffsets } from './slicer.js';
export type { Chunk, Stream, ToxicDefinition, ToxicOutput, ToxicStage, AttributeSpec } from './types.js';
