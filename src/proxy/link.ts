import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { passThrough } from './toxics/noop.js';
import { toxicDefinition } from './toxics/registry.js';
import type { Chunk, Stream, ToxicDefinition, ToxicOutput, ToxicStage } from './toxics/types.js';
import type { ToxicRecord } from './types.js';

// The source is paused when the link holds more than HIGH bytes and resumed below LOW.
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 512 * 1024;

/** What a link asks of its connection when a toxic ends it. */
export interface LinkOwner {
  readonly closing: boolean;
  /** A toxic closed the connection from inside `link`: see ToxicOutput.closeConnection. */
  closeFrom(link: Link, keepFrom: number): void;
  reset(): void;
  /** Counts bytes for the proxy's metrics. */
  count(stream: Stream, kind: 'received' | 'sent', bytes: number): void;
}

/** One toxic on one link: its running stage, its toxicity roll and where its input and output stand. */
class Slot {
  stage!: ToxicStage;
  active = true;
  endIn = false;
  endOut = false;
  detached = false;
  constructor(
    readonly record: ToxicRecord,
    readonly def: ToxicDefinition<any>,
    readonly state: unknown,
    readonly roll: number,
  ) {}
}

/**
 * One direction of a proxied connection: source socket → toxic stages, in the order added → destination
 * socket. Toxics are added, changed and removed while data flows; every change hands held chunks on in
 * order, so the only bytes ever lost or reordered are those a toxic's behaviour says it drops.
 */
export class Link {
  private slots: Slot[] = [];
  private paused = false;
  private reading = false;
  private inputEnded = false;
  private sinkDone = false;

  constructor(
    readonly stream: Stream,
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly owner: LinkOwner,
    private readonly logger: Logger,
  ) {}

  /** True once the destination was ended (or given up on). */
  get finished(): boolean {
    return this.sinkDone;
  }

  get buffered(): number {
    let n = this.dest.writableLength;
    for (const s of this.slots) n += s.stage.buffered;
    return n;
  }

  start(toxics: readonly ToxicRecord[]): void {
    for (const r of toxics) this.slots.push(this.makeSlot(r, undefined));
    this.reading = true;
    this.source.on('data', this.dataListener);
    this.source.on('end', () => this.guard('end', () => this.endInput()));
    this.dest.on('drain', () => this.guard('drain', () => this.maybeResume()));
    this.source.resume();
  }

  addToxic(record: ToxicRecord): void {
    if (this.sinkDone) return;
    this.slots.push(this.makeSlot(record, undefined));
  }

  updateToxic(record: ToxicRecord): void {
    const i = this.indexOfName(record.name);
    if (i < 0) return;
    const old = this.slots[i]!;
    old.detached = true;
    const held = old.stage.detach();
    const slot = this.makeSlot(record, old);
    slot.endIn = old.endIn;
    slot.endOut = old.endOut;
    this.slots[i] = slot;
    for (const c of held) slot.stage.write(c);
    if (slot.endIn && !slot.endOut && !slot.detached) slot.stage.end();
  }

  removeToxic(name: string): void {
    const i = this.indexOfName(name);
    if (i < 0) return;
    const slot = this.slots[i]!;
    slot.detached = true;
    const held = slot.stage.detach();
    this.slots.splice(i, 1);
    if (slot.def.onRemove === 'close' && slot.active && !this.sinkDone) {
      this.owner.closeFrom(this, i);
      return;
    }
    for (const c of held) this.deliver(i, c);
    if (slot.endIn && !slot.endOut) this.deliverEnd(i);
    this.maybeResume();
  }

  /** Drops the stages before `keepFrom` (and what they hold), stops reading, and ends the rest in order. */
  terminateBefore(keepFrom: number): void {
    this.stopReading();
    for (const s of this.slots.slice(0, keepFrom)) {
      s.detached = true;
      s.stage.detach();
    }
    this.slots.splice(0, keepFrom);
    this.inputEnded = true;
    this.deliverEnd(0);
  }

  /** Stops reading and lets what the stages hold flow out at its own pace, then ends the destination. */
  finishInput(): void {
    this.stopReading();
    this.endInput();
  }

  /** Stops reading, writes out everything held at once (newest stage last), then ends the destination. */
  flushAndEnd(): void {
    this.stopReading();
    this.inputEnded = true;
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const s = this.slots[i]!;
      s.detached = true;
      for (const c of s.stage.detach()) this.sinkWrite(c.data);
    }
    this.slots = [];
    this.sinkEnd();
  }

  /** Gives up on this direction (its destination is gone): drops held data. */
  abandon(): void {
    this.stopReading();
    this.inputEnded = true;
    for (const s of this.slots) {
      s.detached = true;
      s.stage.detach();
    }
    this.slots = [];
    this.sinkDone = true;
  }

  // Guarded like every step, without a closure per chunk.
  private readonly dataListener = (buf: Buffer): void => {
    try {
      this.onData(buf);
    } catch (err) {
      this.failed('data', err);
    }
  };

  private onData(buf: Buffer): void {
    if (!this.reading) return;
    this.owner.count(this.stream, 'received', buf.length);
    if (this.slots.length === 0) {
      // The fast path: no toxic on this link, so the chunk goes straight to the destination with a
      // plain pipe's backpressure (pause when the socket's buffer is full, resume on 'drain'). Adding a
      // toxic switches to the chain for the next chunk; what was written here is already queued
      // ahead of it on the socket, so nothing is reordered.
      this.sinkWrite(buf);
      if (!this.paused && this.reading && this.dest.writableNeedDrain) {
        this.paused = true;
        this.source.pause();
      }
      return;
    }
    this.deliver(0, { data: buf, at: performance.now() });
    if (!this.paused && this.reading && this.buffered > HIGH_WATER) {
      this.paused = true;
      this.source.pause();
    }
  }

  private endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.deliverEnd(0);
  }

  private stopReading(): void {
    this.reading = false;
    if (!this.source.destroyed) this.source.pause();
  }

  private maybeResume(): void {
    if (this.paused && this.reading && this.buffered <= LOW_WATER) {
      this.paused = false;
      this.source.resume();
    }
  }

  private deliver(i: number, chunk: Chunk): void {
    const slot = this.slots[i];
    if (slot) slot.stage.write(chunk);
    else this.sinkWrite(chunk.data);
  }

  private deliverEnd(i: number): void {
    const slot = this.slots[i];
    if (!slot) return this.sinkEnd();
    if (slot.endIn) return;
    slot.endIn = true;
    slot.stage.end();
  }

  private sinkWrite(data: Buffer): void {
    if (this.sinkDone || this.dest.destroyed) return;
    this.owner.count(this.stream, 'sent', data.length);
    this.dest.write(data);
  }

  private sinkEnd(): void {
    if (this.sinkDone) return;
    this.sinkDone = true;
    if (this.dest.destroyed) return;
    if (this.owner.closing) this.dest.destroySoon();
    else this.dest.end();
  }

  private indexOfName(name: string): number {
    return this.slots.findIndex((s) => s.record.name === name);
  }

  // A slot replacing `previous` keeps its per-connection state and toxicity roll.
  private makeSlot(record: ToxicRecord, previous: Slot | undefined): Slot {
    const def = toxicDefinition(record.type);
    if (!def) throw new Error(`toxic type "${record.type}" is not registered`);
    const state = previous ? previous.state : def.newState?.();
    const slot = new Slot(record, def, state, previous ? previous.roll : Math.random());
    slot.active = slot.roll < record.toxicity;
    const out = this.outputOf(slot);
    slot.stage = slot.active ? def.create(attributesFor(def, record), out, state) : passThrough(out);
    return slot;
  }

  private outputOf(slot: Slot): ToxicOutput {
    // Toxics call these from their own timers: guarded, so a failing stage ends its connection only.
    return {
      stream: this.stream,
      push: (chunk) =>
        this.guard('push', () => {
          if (slot.detached) {
            this.logger.warn({ toxic: slot.record.name }, 'toxic pushed data after it was detached; dropped');
            return;
          }
          this.deliver(this.slots.indexOf(slot) + 1, chunk);
          if (this.paused) this.maybeResume();
        }),
      end: () =>
        this.guard('end', () => {
          if (slot.detached || slot.endOut) return;
          slot.endOut = true;
          this.deliverEnd(this.slots.indexOf(slot) + 1);
        }),
      closeConnection: () =>
        this.guard('close', () => {
          if (slot.detached) return;
          this.owner.closeFrom(this, this.slots.indexOf(slot) + 1);
        }),
      resetConnection: () =>
        this.guard('reset', () => {
          if (!slot.detached) this.owner.reset();
        }),
    };
  }

  /**
   * Runs one step of the data path. A step that throws (a bug in a toxic, a socket in a state nobody
   * expected) resets this connection instead of escaping as an uncaught exception that would stop
   * the proxy for every client and the run it serves.
   */
  private guard(step: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.failed(step, err);
    }
  }

  private failed(step: string, err: unknown): void {
    this.logger.error({ err, step, stream: this.stream }, 'proxy data path failed; resetting the connection');
    try {
      this.owner.reset();
    } catch {
      this.source.destroy();
      this.dest.destroy();
    }
  }
}

/** The integer attributes a TCP toxic's stage receives (the `cohort` extension and unknown keys left out). */
export function attributesFor(def: ToxicDefinition<any>, record: ToxicRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, spec] of Object.entries(def.attributes)) {
    const v = record.attributes[key];
    out[key] = typeof v === 'number' ? v : spec.default;
  }
  return out;
}
