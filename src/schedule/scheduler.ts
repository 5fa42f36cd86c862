import type { Logger } from 'pino';
import { silentLogger } from '../log.js';
import type { History } from '../history/history.js';
import { sleep } from '../util/abort.js';
import type { Schedule } from './load.js';
import { calendarSkip, jitterOf, type Skip } from './policy.js';
import type { SchedulerMetrics } from './metrics.js';
import type { SchedulerState } from './state.js';

/** Time as the scheduler sees it: injected, so fire times, downtime and DST days can be tested. */
export interface Clock {
  now(): number;
  /** Waits `ms` (rejecting or returning early when `signal` aborts). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, signal).catch(() => undefined),
};

export interface RunOutcome {
  gate: 'passed' | 'failed';
  exitCode: number;
  suiteRunId: string;
}

/** Runs one slot's suite; the scheduler never runs two at once (their experiments share the ledger). */
export type SlotRunner = (schedule: Schedule, slotMs: number) => Promise<RunOutcome>;

export interface SchedulerOptions {
  schedules: Schedule[];
  state: SchedulerState;
  history: History;
  clock?: Clock;
  run: SlotRunner;
  metrics?: SchedulerMetrics;
  logger?: Logger;
  /** A slot whose time passed longer ago than this when the scheduler gets to it was missed (default 60 s). */
  lateAfterMs?: number;
  /** The longest single wait, so pauses, resumes and clock changes are noticed (default 30 s). */
  maxWaitMs?: number;
}

/**
 * The scheduler's own loop (cron's parser gives the fire times; nothing of CronJob is used): it sleeps
 * until the next slot of any schedule, then runs it, skips it with a reason, queues it behind a run
 * that goes on (overlap: queue, at most one), or records it as missed when no scheduler was there at
 * its time (missed: skip, or run the latest within the starting deadline). Never two runs at once,
 * never a running hypothesis interrupted by a slot. Every skip and miss goes to history with its
 * reason, and to the metrics.
 */
export class Scheduler {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly lateAfterMs: number;
  private readonly maxWaitMs: number;
  private readonly cursor = new Map<string, number>();
  private readonly queued = new Map<string, number>();
  private active: { schedule: string; slot: number; done: Promise<void> } | undefined;
  private wake = new AbortController();

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger();
    this.lateAfterMs = opts.lateAfterMs ?? 60_000;
    this.maxWaitMs = opts.maxWaitMs ?? 30_000;
  }

  /** The next fire time of each schedule (slot and jittered fire time), from its cursor. */
  upcoming(): { schedule: string; slot: number; fireAt: number }[] {
    return this.opts.schedules.map((s) => {
      const slot = s.fire.next(this.cursor.get(s.name) ?? this.clock.now());
      return { schedule: s.name, slot, fireAt: slot + jitterOf(s, slot) };
    });
  }

  /** Runs until `stop` aborts, then waits for the run in progress (the caller interrupts it). */
  async start(stop: AbortSignal): Promise<void> {
    const memory = this.opts.state.read();
    const now = this.clock.now();
    for (const s of this.opts.schedules) this.cursor.set(s.name, memory[s.name]?.lastSlot ?? now);
    this.logger.info({ schedules: this.opts.schedules.map((s) => s.name) }, 'scheduler started');
    while (!stop.aborted) {
      await this.dueNow();
      const next = this.upcoming();
      for (const n of next) this.opts.metrics?.nextFire(n.schedule, n.fireAt);
      const wait = Math.min(this.maxWaitMs, ...next.map((n) => n.fireAt - this.clock.now()));
      if (wait > 0) await this.clock.sleep(wait, AbortSignal.any([stop, this.wake.signal]));
      if (this.wake.signal.aborted) this.wake = new AbortController();
    }
    await this.active?.done;
    this.logger.info('scheduler stopped');
  }

  /** Deals with every slot whose fire time has come. */
  private async dueNow(): Promise<void> {
    const now = this.clock.now();
    const memory = this.opts.state.read();
    for (const s of this.opts.schedules) {
      const due: number[] = [];
      let slot = s.fire.next(this.cursor.get(s.name)!);
      while (slot + jitterOf(s, slot) <= now && due.length < 10_000) {
        due.push(slot);
        slot = s.fire.next(slot);
      }
      if (due.length === 0) continue;
      const latest = due[due.length - 1]!;
      const onTime = now - (latest + jitterOf(s, latest)) <= this.lateAfterMs;
      const catchUp = !onTime && s.missed === 'run-latest' && now - latest <= s.startingDeadlineMs;
      for (const missed of onTime || catchUp ? due.slice(0, -1) : due) {
        this.skip(s, missed, { code: 'missed', reason: `missed: no scheduler ran at its time${s.missed === 'run-latest' ? ' (only the latest missed slot runs, within the starting deadline)' : ''}` });
      }
      this.cursor.set(s.name, latest);
      this.opts.state.update(s.name, (m) => ({ ...m, lastSlot: latest }));
      if (onTime || catchUp) this.consider(s, latest, Boolean(memory[s.name]?.paused), catchUp ? 'late: the latest missed slot, within the starting deadline' : undefined);
    }
  }

  /** A slot whose time has come: run it now, queue it behind the run in progress, or skip it. */
  private consider(s: Schedule, slot: number, paused: boolean, note?: string): void {
    const now = this.clock.now();
    const skip = calendarSkip(s, now, { paused, ...lastStart(this.opts.state.read()[s.name]?.lastStart) });
    if (skip) return this.skip(s, slot, skip);
    if (this.active) {
      if (s.overlap === 'queue' && !this.queued.has(s.name)) {
        this.queued.set(s.name, slot);
        this.record(s, slot, 'queued', `a run of ${this.active.schedule} goes on; this one waits for it`);
        return;
      }
      return this.skip(s, slot, { code: 'overlap', reason: `a run of ${this.active.schedule} was still going on${s.overlap === 'queue' ? ', and one run already waits' : ''}` });
    }
    this.launch(s, slot, note);
  }

  private launch(s: Schedule, slot: number, note?: string): void {
    if (!this.opts.state.claim(s.name, slot)) return this.skip(s, slot, { code: 'taken', reason: 'another scheduler on this state directory took the slot' });
    const now = this.clock.now();
    this.opts.state.update(s.name, (m) => ({ ...m, lastStart: now }));
    this.record(s, slot, 'started', note);
    this.opts.metrics?.lastFire(s.name, now);
    this.opts.metrics?.running(s.name, true);
    const done = this.opts
      .run(s, slot)
      .then(
        (r) => {
          this.record(s, slot, 'finished', undefined, { suiteRunId: r.suiteRunId, gate: r.gate });
          this.opts.metrics?.finished(s.name, r.exitCode === 130 ? 'interrupted' : r.gate);
        },
        (err: unknown) => {
          this.record(s, slot, 'finished', `the run failed: ${(err as Error).message}`, { gate: 'failed' });
          this.opts.metrics?.finished(s.name, 'failed');
        },
      )
      .finally(() => {
        this.opts.metrics?.running(s.name, false);
        this.active = undefined;
        this.startQueued();
        this.wake.abort();
      });
    this.active = { schedule: s.name, slot, done };
  }

  /** When a run ends, the oldest waiting slot starts, if its calendar still allows it. */
  private startQueued(): void {
    const waiting = [...this.queued].sort((a, b) => a[1] - b[1]);
    for (const [name, slot] of waiting) {
      this.queued.delete(name);
      const s = this.opts.schedules.find((x) => x.name === name)!;
      const memory = this.opts.state.read()[name];
      const skip = calendarSkip(s, this.clock.now(), { paused: Boolean(memory?.paused), ...lastStart(memory?.lastStart) });
      if (skip) {
        this.skip(s, slot, skip);
        continue;
      }
      this.launch(s, slot, 'was queued behind another run');
      return;
    }
  }

  private skip(s: Schedule, slot: number, why: Skip): void {
    this.logger.info({ schedule: s.name, slot: new Date(slot).toISOString(), code: why.code }, `slot skipped: ${why.reason}`);
    this.record(s, slot, why.code === 'missed' ? 'missed' : 'skipped', why.reason);
    this.opts.metrics?.skipped(s.name, why.code);
  }

  private record(s: Schedule, slot: number, event: 'started' | 'finished' | 'skipped' | 'missed' | 'queued', reason?: string, extra: { suiteRunId?: string; gate?: 'passed' | 'failed' } = {}): void {
    this.opts.history.append({ kind: 'schedule', at: new Date(this.clock.now()).toISOString(), schedule: s.name, slot: new Date(slot).toISOString(), event, ...(reason ? { reason } : {}), ...extra });
  }
}

function lastStart(v: number | undefined): { lastStartMs?: number } {
  return v === undefined ? {} : { lastStartMs: v };
}
