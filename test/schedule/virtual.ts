import { join } from 'node:path';
import { History } from '../../src/history/history.js';
import { FireTimes } from '../../src/schedule/fire-times.js';
import type { Schedule } from '../../src/schedule/load.js';
import { Scheduler, type Clock, type RunOutcome } from '../../src/schedule/scheduler.js';
import { SchedulerState } from '../../src/schedule/state.js';

/**
 * Simulated time for the scheduler: every wait is an event; the clock jumps to the earliest one and
 * wakes it, once everything else has settled. Days of schedules run in milliseconds, deterministic.
 */
export class VirtualClock implements Clock {
  private waiters: { at: number; wake: () => void }[] = [];
  private pumping = false;

  constructor(public t: number, private readonly horizon: number, private readonly stop: AbortController) {}

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const w = { at: this.t + Math.max(0, ms), wake: () => resolve() };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve();
      };
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      w.wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.push(w);
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // Let every pending promise settle before time moves on.
    const step = (): void => {
      setImmediate(() => setImmediate(() => {
        this.pumping = false;
        if (this.waiters.length === 0) return;
        this.waiters.sort((a, b) => a.at - b.at);
        const w = this.waiters.shift()!;
        this.t = Math.max(this.t, w.at);
        if (this.t > this.horizon) this.stop.abort();
        w.wake();
        if (this.waiters.length) this.pump();
      }));
    };
    step();
  }
}

export const NEVER = new AbortController().signal;

export function schedule(over: Partial<Schedule> & { name: string; cron: string; timeZone?: string }): Schedule {
  const timeZone = over.timeZone ?? 'UTC';
  return {
    suite: 'suite.yaml', blackouts: [], overlap: 'skip', missed: 'skip', startingDeadlineMs: 3_600_000, minIntervalMs: 0, jitterMs: 0, estimatedMs: 0,
    ...over, timeZone, fire: new FireTimes(over.cron, timeZone),
  };
}

export interface Simulation {
  runs: { schedule: string; slot: string; start: string }[];
  history: History;
  state: SchedulerState;
}

/** Runs schedulers on one state directory from `from` to `to` (simulated); each run takes `runMs`. */
export async function simulate(dir: string, schedules: Schedule[], o: { from: string; to: string; runMs?: number; schedulers?: number; prepare?: (state: SchedulerState) => void }): Promise<Simulation> {
  const stop = new AbortController();
  const clock = new VirtualClock(Date.parse(o.from), Date.parse(o.to), stop);
  const state = new SchedulerState(join(dir, 'state'));
  o.prepare?.(state);
  const history = new History(join(dir, 'history.jsonl'));
  const runs: Simulation['runs'] = [];
  const run = async (s: Schedule, slot: number): Promise<RunOutcome> => {
    runs.push({ schedule: s.name, slot: new Date(slot).toISOString(), start: new Date(clock.now()).toISOString() });
    await clock.sleep(o.runMs ?? 60_000, NEVER);
    return { gate: 'passed', exitCode: 0, suiteRunId: `r${runs.length}` };
  };
  const schedulers = Array.from({ length: o.schedulers ?? 1 }, () => new Scheduler({ schedules, state, history, clock, run, lateAfterMs: 60_000, maxWaitMs: 3_600_000 }));
  await Promise.all(schedulers.map((s) => s.start(stop.signal)));
  return { runs, history, state };
}
