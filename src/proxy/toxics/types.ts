/** One piece of a TCP stream as it moves through a link; `at` is when the proxy read it (monotonic ms). */
export interface Chunk {
  data: Buffer;
  at: number;
}

export type Stream = 'upstream' | 'downstream';

/** Where a toxic stage sends what it lets through, and how it ends the connection when its behaviour says so. */
export interface ToxicOutput {
  readonly stream: Stream;
  /** Passes a chunk to the next stage (or the destination socket). */
  push(chunk: Chunk): void;
  /** Passes end-of-stream on, after every chunk already pushed. */
  end(): void;
  /**
   * Closes the whole connection the way Toxiproxy's stub close does: what this stage already pushed still
   * reaches the destination, then FIN; data before this stage is dropped; the other direction is closed too.
   */
  closeConnection(): void;
  /** Resets both sockets (a real TCP RST). */
  resetConnection(): void;
}

/**
 * A toxic running on one link (one connection, one direction). Stages are created per link and replaced on
 * every attribute change; `detach` hands back what the stage holds so nothing is lost or reordered.
 */
export interface ToxicStage {
  write(chunk: Chunk): void;
  /** The input ended; forward `out.end()` when the toxic's behaviour allows. */
  end(): void;
  /** Bytes held (counted for backpressure on the source socket). */
  readonly buffered: number;
  /** Stops timers and returns the chunks still held, oldest first. The stage is never used again. */
  detach(): Chunk[];
}

/** Integer attributes of a TCP toxic with their defaults (the Go zero values Toxiproxy reports). */
/** `max`: the largest value accepted (a duration that becomes a timer stays within MAX_TIMER_MS). */
export type AttributeSpec = Record<string, { default: number; summary: string; max?: number }>;

/** A TCP toxic type, registered by name (one file per toxic). */
export interface ToxicDefinition<A extends Record<string, number> = Record<string, number>> {
  type: string;
  summary: string;
  attributes: AttributeSpec;
  create(attrs: A, out: ToxicOutput, state: unknown): ToxicStage;
  /** Optional: per-connection state kept across attribute changes (limit_data counts bytes sent). */
  newState?(): unknown;
  /** Optional: what removing the toxic does to open connections; Toxiproxy's timeout closes them. */
  onRemove?: 'close';
}

export function isStateful(def: ToxicDefinition<any>): def is ToxicDefinition<any> & { newState(): unknown } {
  return typeof def.newState === 'function';
}

/** Sum of bytes in a list of chunks. */
export function bytesOf(chunks: readonly Chunk[]): number {
  let n = 0;
  for (const c of chunks) n += c.data.length;
  return n;
}
