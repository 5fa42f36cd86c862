import type { Logger } from 'pino';
import type { AttributeDoc } from '../experiment/attributes.js';
import type { IssueSink } from '../experiment/issues.js';

/** JSON-safe values: everything in a ledger entry must survive a process restart. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Something a fault acts on: a container, a pod, a proxy, a host. Chosen by the engine, not the fault. */
export interface Target {
  /** Driver that owns the target: `docker`, `kubernetes`, `proxy`, `process`. */
  driver: string;
  /** Stable identity (container id, pod uid, proxy name). */
  id: string;
  /** Human name (container name, namespace/pod, proxy name). */
  name: string;
  labels: Record<string, string>;
  /** Driver-specific facts kept in the journal and the ledger (image, namespace, node...). */
  meta?: JsonObject;
}

/** What every fault call receives. Every external call honours `signal` and stays within `timeoutMs`. */
export interface FaultContext<Conn = unknown> {
  signal: AbortSignal;
  logger: Logger;
  runId: string;
  /**
   * Unique per applied instance (fault x target) and stable across a crash: name created objects
   * (toxics, annotations) after it so a revert removes exactly what this run added.
   */
  instanceId: string;
  /** Budget for one external call. */
  timeoutMs: number;
  /** The driver's live connection (from Driver.connect). */
  connection: Conn;
  /** Directory of the experiment file: resolve relative paths against it in `prepare`. */
  baseDir?: string;
}

/** Result of checking that a revert took effect. */
export interface VerifyResult {
  ok: boolean;
  detail?: string;
}

/**
 * One kind of harm as an apply/revert pair on one target. The engine selects targets,
 * loops, ledgers and retries.
 *
 * The lifecycle per (fault, target): `prepare` reads what is needed to undo the fault and returns it as
 * JSON state (no change to any system); the engine ledgers that as the intent; `apply` changes the
 * system and may return an updated state; the engine ledgers `applied`; `revert` undoes it from the
 * state alone, so `firebreak recover` can call it in another process after a crash. `revert` must be
 * idempotent and must succeed when `apply` never ran or ran halfway.
 */
export interface FaultType<Attrs = unknown, State extends JsonObject = JsonObject, Conn = unknown> {
  /** Stable registered name, `<driver>.<fault>`, e.g. `proxy.latency`, `docker.pause`. */
  type: string;
  driver: string;
  summary: string;
  /**
   * `target`: the engine applies it once per selected target of the driver's target cohort;
   * `none`: applied once, it names what it acts on in its own attributes (a proxy name, a command).
   */
  scope: 'target' | 'none';
  /** Its own attributes (beside the envelope): the validator, `list`, `explain` and the schema read these. */
  attributes: readonly AttributeDoc[];
  /** A working set of its attributes, shown by `explain` (a test parses every one). */
  example: Record<string, unknown>;
  /** Validates the fault's own attributes (the envelope fields are gone); reports into `issues`. */
  parse(attrs: Record<string, unknown>, issues: IssueSink): Attrs | undefined;
  /** One line for plans and progress: `latency 300ms ±50ms on payments (downstream)`. */
  describe(attrs: Attrs, target?: Target): string;
  prepare(ctx: FaultContext<Conn>, attrs: Attrs, target?: Target): Promise<State>;
  apply(ctx: FaultContext<Conn>, state: State): Promise<State | void>;
  revert(ctx: FaultContext<Conn>, state: State): Promise<void>;
  /** Optional: confirms the system is back to its state before the fault. */
  verify?(ctx: FaultContext<Conn>, state: State): Promise<VerifyResult>;
  /**
   * Optional: how long one apply or revert of this state may legitimately take (a stop's grace
   * period, a command's own timeout, an orchestrator's recovery window). The engine allows the larger
   * of this (plus a margin) and the run's call timeout, so a fault's own settings are honoured.
   */
  budgetMs?(state: State): number;
  /**
   * Optional: how many requests of each traffic cohort have passed the point the fault acts on so far
   * (cumulative counters, read at apply and at revert). The engine turns the difference into evidence
   * that the fault reached the canary, and only the canary.
   */
  reach?(ctx: FaultContext<Conn>, state: State): Promise<Partial<Record<'canary' | 'control' | 'untouched', number>> | undefined>;
}

export function canVerify<F extends FaultType<any, any, any>>(fault: F): fault is F & Required<Pick<F, 'verify'>> {
  return typeof fault.verify === 'function';
}
