import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Registry } from '../drivers/registry.js';
import type { Driver, TargetClaim } from '../drivers/types.js';
import type { Experiment, FaultSpec } from '../experiment/model.js';
import type { JsonObject, Target } from '../faults/types.js';
import type { Ledger } from './ledger.js';
import type { RunEvents } from './events.js';
import type { Journal } from './journal.js';

/** One fault on one target: the unit the engine applies, ledgers and reverts. */
export interface Instance {
  /** `<runId>-<fault index>-<target index>`: the ledger id and the name of what the fault creates. */
  id: string;
  spec: FaultSpec;
  target?: Target;
  description: string;
  state?: JsonObject;
  applied: boolean;
  reverted: boolean;
  /** Set once an apply was attempted (intent ledgered): such an instance must be reverted. */
  attempted: boolean;
}

export interface DriverHandle {
  driver: Driver<any, any>;
  config: JsonObject;
  connection: unknown;
}

/** Stops a run from outside: the first signal interrupts (revert, then after); the second skips after. */
export interface Interruption {
  /** Aborts every wait of the run: phases end early, faults revert. */
  soft: AbortController;
  /** Aborts the after phase too. Reverts are never aborted. */
  hard: AbortController;
  reason?: string;
}

export function createInterruption(): Interruption {
  return { soft: runController(), hard: runController() };
}

// Up to phases.concurrency fault calls (at most 256) and every probe listen on a run's signals at
// once: that many listeners is the design, not a leak, and Node's warning past 10 would say otherwise.
const RUN_SIGNAL_LISTENERS = 512;

/** An AbortController for a run-wide signal, which every call in flight may listen on. */
export function runController(): AbortController {
  const c = new AbortController();
  setMaxListeners(RUN_SIGNAL_LISTENERS, c.signal);
  return c;
}

export interface RunContext {
  runId: string;
  experiment: Experiment;
  registry: Registry;
  logger: Logger;
  ledger: Ledger;
  events: RunEvents;
  interruption: Interruption;
  drivers: Map<string, DriverHandle>;
  instances: Instance[];
  /** Instances in the order their intents were ledgered: reverts go in reverse of it. */
  order: Instance[];
  /** Set once the plan passed: only then may rollbacks (actions on the system) run. */
  planned: boolean;
  /** Set once the revert phase ran (it runs once per run). */
  revertDone: boolean;
  targets?: { driver: string; canary: Target[]; control: Target[]; protected: Target[]; considered: number };
  journal: Journal;
  /** Set when a stop condition tripped: the during phase ends and faults revert at once. */
  abort: AbortController;
  options: { seed?: string };
  /** Targets this run has claimed (by `<driver>/<target id>`), and the instances still applied on each. */
  claims: Map<string, HeldClaim>;
}

export interface HeldClaim {
  claim: TargetClaim;
  target: Target;
  instances: Set<string>;
}
