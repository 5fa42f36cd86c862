import { Transform, type TransformCallback } from 'node:stream';

// Each push carries at most this much time's worth of bytes, so a throttled body trickles smoothly.
const SLICE_MS = 50;

/** Passes bytes through at no more than `bytesPerMs` on average since the first byte. */
export class Throttle extends Transform {
  private readonly bytesPerMs: number;
  private sent = 0;
  private startedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(bytesPerMs: number) {
    super();
    this.bytesPerMs = bytesPerMs;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.startedAt ??= performance.now();
    const slice = Math.max(1, Math.floor(this.bytesPerMs * SLICE_MS));
    this.sendFrom(chunk, 0, slice, done);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    done(err);
  }

  private sendFrom(chunk: Buffer, offset: number, slice: number, done: TransformCallback): void {
    if (offset >= chunk.length || this.destroyed) {
      done();
      return;
    }
    const piece = chunk.subarray(offset, offset + slice);
    this.sent += piece.length;
    const wait = this.startedAt! + this.sent / this.bytesPerMs - performance.now();
    const next = (): void => {
      this.timer = undefined;
      if (this.destroyed) return;
      this.push(piece);
      this.sendFrom(chunk, offset + piece.length, slice, done);
    };
    if (wait > 0) this.timer = setTimeout(next, wait);
    else next();
  }
}
