import type { Interruption } from './context.js';
import type { Ledger } from './ledger.js';

/** A run in progress in this process: what the last-resort handler must stop and revert if the process fails. */
export interface LiveRun {
  runId: string;
  ledger: Ledger;
  interruption: Interruption;
  /** Applies in flight: a revert must not race them. */
  inflight: Set<Promise<unknown>>;
  /** Settles when the run is over (its own reverts done, its ledger closed). */
  done: Promise<void>;
}

const live = new Map<string, LiveRun>();

/** Registers a run until `finished` is called. */
export function trackRun(run: Omit<LiveRun, 'done' | 'inflight'>): { run: LiveRun; finished(): void } {
  let finish!: () => void;
  const entry: LiveRun = { ...run, inflight: new Set(), done: new Promise<void>((resolve) => (finish = resolve)) };
  live.set(run.runId, entry);
  return {
    run: entry,
    finished() {
      live.delete(run.runId);
      finish();
    },
  };
}

export function liveRun(runId: string): LiveRun | undefined {
  return live.get(runId);
}

export function liveRuns(): LiveRun[] {
  return [...live.values()];
}

/** Keeps `work` in the run's in-flight set while it runs. */
export function inFlight<T>(runId: string, work: Promise<T>): Promise<T> {
  const run = live.get(runId);
  if (!run) return work;
  run.inflight.add(work);
  const settle = (): void => void run.inflight.delete(work);
  work.then(settle, settle);
  return work;
}
