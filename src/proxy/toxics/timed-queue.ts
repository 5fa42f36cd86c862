import { performance } from 'node:perf_hooks';
import { MAX_TIMER_MS } from '../../util/duration.js';
import type { Chunk, ToxicOutput } from './types.js';

interface Item {
  chunk: Chunk | undefined; // undefined marks end-of-stream
  due: number;
}

/**
 * Releases chunks to a toxic's output at their due times, in order, with one timer. Toxics that delay data
 * (latency, bandwidth, slicer) queue here; `detach` returns what is still held so nothing is lost.
 */
export class TimedQueue {
  private items: Item[] = [];
  private head = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private detached = false;

  constructor(private readonly out: ToxicOutput) {}

  get buffered(): number {
    return this.bytes;
  }

  /** Due time of the last queued item (or of the last released one): later items never overtake it. */
  get lastDue(): number {
    return this.last;
  }

  get empty(): boolean {
    return this.head >= this.items.length;
  }

  add(chunk: Chunk, due: number): void {
    this.push({ chunk, due });
    this.bytes += chunk.data.length;
  }

  addEnd(due: number): void {
    this.push({ chunk: undefined, due });
  }

  detach(): Chunk[] {
    this.detached = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const held: Chunk[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const c = this.items[i]!.chunk;
      if (c) held.push(c);
    }
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return held;
  }

  private push(item: Item): void {
    if (this.detached) return;
    item.due = Math.max(item.due, this.last);
    this.last = item.due;
    this.items.push(item);
    if (this.head === this.items.length - 1) this.release();
  }

  private release(): void {
    this.timer = undefined;
    const now = performance.now();
    while (!this.detached && this.head < this.items.length) {
      const item = this.items[this.head]!;
      if (item.due > now) {
        // Clamped: a longer timer would fire after 1 ms, over and over; this one re-arms until due.
        this.timer = setTimeout(() => this.release(), Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(item.due - now))));
        return;
      }
      this.head++;
      if (item.chunk) {
        this.bytes -= item.chunk.data.length;
        this.out.push(item.chunk);
      } else {
        this.out.end();
      }
    }
    if (this.head > 1024 || this.head === this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
