import { EventEmitter } from 'node:events';
import { scrub } from '../log.js';
import type { Target } from '../faults/types.js';
import type { PhaseName } from '../experiment/model.js';
import type { ProbeResult } from '../probes/types.js';
import type { CohortName, LatencySummary } from '../signals/types.js';
import type { Evidence, FaultRecord, Journal, PlanSummary, Status } from './journal.js';

/** The live view of one signals probe's cohort for the latest tick (for progress displays). */
export interface TickCohort {
  requests: number;
  errors: number;
  rate: number;
  errorRate: number;
  latency: LatencySummary;
  saturation?: number;
  /** Requests in flight at the collection (gauge), and those in flight longer than the probe's timeout. */
  outstanding?: number;
  overdue?: number;
  /** Sends the load generator could not make in the tick. */
  dropped?: number;
}

/** Typed lifecycle events: the journal, terminal progress and reports are listeners. */
export interface RunEventMap {
  'run-started': { runId: string; title: string; source: string; plan: PlanSummary };
  'phase-started': { phase: Phase; durationMs: number; at: number };
  tick: { phase: Phase; elapsedMs: number; durationMs: number; signals: Record<string, Partial<Record<CohortName | 'all', TickCohort>>> };
  'probe-result': { phase: Phase; probe: string; result: ProbeResult };
  'fault-applied': { id: string; fault: string; description: string; target?: Target };
  'fault-apply-failed': { id: string; fault: string; error: string };
  'fault-reverted': { id: string; fault: string; description: string; target?: Target; verified?: boolean; attempts: number; ledgerError?: string; reach?: FaultRecord['reach'] };
  'fault-revert-failed': { id: string; fault: string; error: string; attempts: number };
  'abort-tripped': { condition: string; evidence: Evidence };
  'interrupted': { signal: string; hard: boolean };
  'phase-ended': { phase: Phase; at: number };
  'run-ended': { status: Status; exitCode: number; journal: Journal };
}

export type Phase = 'plan' | 'warmup' | PhaseName | 'inject' | 'revert' | 'verdict';

export class RunEvents extends EventEmitter {
  emitEvent<K extends keyof RunEventMap>(name: K, payload: RunEventMap[K]): void {
    // Scrubbed before any listener formats or cuts it: a secret cut in half is no longer recognisable.
    const clean = scrub(payload);
    // A listener that throws must not break a run (or, worse, skip a revert).
    for (const l of this.listeners(name)) {
      try {
        (l as (p: RunEventMap[K]) => void)(clean);
      } catch {
        // reporters are best effort
      }
    }
  }

  onEvent<K extends keyof RunEventMap>(name: K, listener: (payload: RunEventMap[K]) => void): this {
    return this.on(name, listener);
  }
}
