import { Transform, type TransformCallback } from 'node:stream';

// Each push carries at most this much time's worth of bytes, so a throttled body trickles smoothly.
const SLICE_MS = 50;

/**
 * Passes bytes through at no more than `bytesPerMs` on average since the first byte (or since the last
 * rate change). `setRate(undefined)` lifts the limit at once: a body throttled by a toxic that was
 * removed goes on at full speed.
 */
export class Throttle extends Transform {
  private bytesPerMs: number | undefined;
  private sent = 0;
  private startedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(bytesPerMs: number | undefined) {
    super();
    this.bytesPerMs = bytesPerMs;
  }

  /** Changes the limit for what is still to come; undefined passes everything through. */
  setRate(bytesPerMs: number | undefined): void {
    if (bytesPerMs === this.bytesPerMs) return;
    this.bytesPerMs = bytesPerMs;
    this.sent = 0;
    this.startedAt = performance.now();
    if (this.timer && this.wake) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.wake();
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.startedAt ??= performance.now();
    this.sendFrom(chunk, 0, done);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    done(err);
  }

  private sendFrom(chunk: Buffer, offset: number, done: TransformCallback): void {
    if (offset >= chunk.length || this.destroyed) {
      done();
      return;
    }
    const rate = this.bytesPerMs;
    if (rate === undefined) {
      this.push(offset === 0 ? chunk : chunk.subarray(offset));
      done();
      return;
    }
    const piece = chunk.subarray(offset, offset + Math.max(1, Math.floor(rate * SLICE_MS)));
    const wait = this.startedAt! + (this.sent + piece.length) / rate - performance.now();
    const next = (): void => {
      this.timer = undefined;
      this.wake = undefined;
      if (this.destroyed) return;
      // The rate may have changed while waiting: send under the current one.
      if (this.bytesPerMs !== rate) return this.sendFrom(chunk, offset, done);
      this.sent += piece.length;
      this.push(piece);
      this.sendFrom(chunk, offset + piece.length, done);
    };
    if (wait > 0) {
      this.wake = next;
      this.timer = setTimeout(next, wait);
    } else next();
  }
}
