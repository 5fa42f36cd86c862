import { HdrLatencyHistogram } from '../../signals/histogram.js';
import type { CohortInterval, CohortName, IntervalByCohort } from '../../signals/types.js';

/** What one cohort's requests did since the last collection. */
export interface Tally {
  requests: number;
  errors: number;
  ok: HdrLatencyHistogram;
  failed: HdrLatencyHistogram;
  bytes: number;
  lateSends: number;
  droppedSends: number;
  scheduledSends: number;
  staleCompletions: number;
}

function emptyTally(): Tally {
  return { requests: 0, errors: 0, ok: new HdrLatencyHistogram(), failed: new HdrLatencyHistogram(), bytes: 0, lateSends: 0, droppedSends: 0, scheduledSends: 0, staleCompletions: 0 };
}

/** Per-cohort tallies, swapped out whole at each collection so the engine owns what it receives. */
export class CohortTallies {
  private tallies = new Map<CohortName, Tally>();

  constructor(private readonly cohorts: readonly CohortName[]) {
    for (const c of cohorts) this.tallies.set(c, emptyTally());
  }

  of(cohort: CohortName): Tally {
    let t = this.tallies.get(cohort);
    if (!t) {
      t = emptyTally();
      this.tallies.set(cohort, t);
    }
    return t;
  }

  /** Hands out the current tallies as intervals and starts fresh ones. */
  drain(start: number, end: number, generatorLagMs: number): IntervalByCohort {
    const out: IntervalByCohort = {};
    for (const [cohort, t] of this.tallies) {
      const interval: CohortInterval = {
        start,
        end,
        requests: t.requests,
        errors: t.errors,
        latencyOk: t.ok,
        latencyFailed: t.failed,
        bytes: t.bytes,
        lateSends: t.lateSends,
        droppedSends: t.droppedSends,
        scheduledSends: t.scheduledSends,
        staleCompletions: t.staleCompletions,
        generatorLagMs,
      };
      out[cohort] = interval;
      this.tallies.set(cohort, emptyTally());
    }
    return out;
  }
}
