import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { scrub } from '../log.js';
import type { Target, JsonObject } from '../faults/types.js';
import type { PhaseName } from '../experiment/model.js';
import type { ProbeResult } from '../probes/types.js';
import type { CohortName, WindowSignals } from '../signals/types.js';

export const JOURNAL_SCHEMA = 'firebreak.journal/v1';

/** `planned`: a dry run, which stops after the plan. */
export type Status = 'held' | 'deviated' | 'aborted' | 'not-steady' | 'failed' | 'interrupted' | 'inconclusive' | 'planned';

/** One tolerance or stop condition decision, with what was expected and what was seen. */
export interface Evidence {
  check: string;
  kind: string;
  phase?: PhaseName;
  probe: string;
  cohort?: string;
  outcome: 'pass' | 'fail' | 'inconclusive' | 'error';
  expected: string;
  observed: unknown;
  test?: string;
  statistic?: number;
  pValue?: number;
  adjustedPValue?: number;
  interval?: [number, number];
  samples?: Record<string, number>;
  reason?: string;
  /** Something the reader should know that did not change the outcome (a few failed collections). */
  note?: string;
}

/** What one stop condition did over the during phase: how often it could look, and what it last saw. */
export interface StopConditionRecord {
  check: string;
  looks: number;
  last?: Evidence;
  /** Why it never evaluated, when it did not. */
  note?: string;
}

export interface PlanSummary {
  runId: string;
  drivers: string[];
  targets?: { driver: string; canary: Target[]; control: Target[]; protected: Target[]; considered: number };
  faults: { id: string; fault: string; description: string; target?: string; startMs: number; durationMs?: number }[];
  probes: { name: string; type: string; kind: string }[];
  phases: { before: number; during: number; after: number; tick: number };
  aborts: string[];
  /** What the drivers found at plan time (proxies' cohort modes, shares and salts). */
  notes?: string[];
}

export interface PhaseRecord {
  phase: PhaseName;
  startedAt: string;
  endedAt?: string;
  probes: Record<string, ProbeResult>;
  signals: Record<string, Partial<Record<CohortName | 'all', WindowSignals>>>;
}

export interface FaultRecord {
  id: string;
  fault: string;
  name: string;
  description: string;
  target?: Target;
  state?: JsonObject;
  appliedAt?: string;
  revertedAt?: string;
  revertAttempts: number;
  verified?: boolean;
  verifyDetail?: string;
  error?: string;
  /** Requests of each traffic cohort that passed the fault's point while it was live (faults that can tell). */
  reach?: { canary?: number; control?: number; untouched?: number };
  /** The ledger could not record this fault's revert (a full disk): reverted, not ledgered. */
  ledgerError?: string;
}

export interface Journal {
  schema: typeof JOURNAL_SCHEMA;
  runId: string;
  firebreak: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  experiment: { source: string; title: string; tags: string[]; given: unknown; resolved: unknown };
  plan?: PlanSummary;
  phases: PhaseRecord[];
  faults: FaultRecord[];
  aborted?: { condition: string; at: string; evidence: Evidence };
  interrupted?: { signal: string; at: string; skippedAfter: boolean };
  rollbacks: { name: string; result: ProbeResult }[];
  /** The stop conditions over the during phase (each one's looks; a note on any that never evaluated). */
  stopConditions?: StopConditionRecord[];
  verdict: { status: Status; exitCode: number; reason: string; evidence: Evidence[] };
  errors: { phase: string; message: string; code?: string }[];
  /** Things the reader must know about how far the verdict can be trusted (misconfigured cohorts, blind stop conditions). */
  warnings: string[];
}

/** Writes the journal atomically (temp file, then rename), secrets scrubbed. */
export function writeJournal(path: string, journal: Journal): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(scrub(journal), null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
