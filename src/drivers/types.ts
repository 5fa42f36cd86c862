import type { Logger } from 'pino';
import type { IssueSink } from '../experiment/issues.js';
import type { FaultType, JsonObject, Target } from '../faults/types.js';
import type { ProbeType } from '../probes/types.js';
import type { CohortSpec, Experiment, FaultSpec, ProbeSpec } from '../experiment/model.js';

/** What a driver's validation-time cross-check sees of the rest of the experiment. */
export interface ReconcileInput {
  cohort: CohortSpec;
  faults: FaultSpec[];
  probes: ProbeSpec[];
}

/** Selects targets of one driver: the experiment's `cohort.targets.selector`. */
export interface TargetSelector {
  names?: string[];
  /** Glob-style name pattern (`payments-*`) or `/regex/`. */
  namePattern?: string;
  /** All must match. */
  labels?: Record<string, string>;
  image?: string;
  namespaces?: string[];
  /** Driver-specific extras (Compose project/service, field selectors...). */
  [key: string]: unknown;
}

export interface DriverCallContext {
  signal: AbortSignal;
  logger: Logger;
  timeoutMs: number;
  /**
   * Why the connection is made. `run`: the driver may prepare what the experiment declares (populate
   * proxies, start an embedded server). `dry-run` and `recover`: it must change nothing, only connect.
   */
  purpose?: 'run' | 'dry-run' | 'recover';
}

/** What a sweep is told about runs: which are over, and the time. */
export interface SweepOptions {
  /** False for a run known to be over (recorded in this ledger, which the sweep holds locked). */
  isRunLive(runId: string): boolean;
  now: number;
  /** Report what would be removed, change nothing. */
  dryRun?: boolean;
}

/** One thing a sweep found: an object a fault left behind, and what became of it. */
export interface SweepItem {
  /** `NetworkPolicy shop/fb-1a2b-0-0`, `Pod shop/web-abc12 (kubernetes.pod-failure)`. */
  object: string;
  runId: string;
  /** Why it is an orphan: `expired at ...`, `run ... is over`. */
  reason: string;
  action: string;
  ok: boolean;
  error?: string;
}

/**
 * A run's mark on a target it is about to fault, so that no other run stacks a fault of its own on it
 * (the second would record the first's harm as the state to restore). Written before the apply,
 * removed after the revert.
 */
export interface TargetClaim {
  runId: string;
  instanceId: string;
  /** Human-readable holder identity: `process 4242 on host-a (container 1a2b3c) since ...`. */
  holder: string;
  /** ISO time after which a holder that cannot be checked no longer counts. */
  expiresAt: string;
}

/**
 * The code that reaches one kind of system and offers faults and probes on it.
 * `config` is the driver's section of the experiment's `target` (e.g. `target.docker`), already
 * validated by `parseConfig`. It is ledgered with every fault so `recover` can reconnect: it must hold
 * no secret values (refer to files or environment variable names instead).
 */
export interface Driver<Config extends JsonObject = JsonObject, Conn = unknown> {
  name: string;
  summary: string;
  faults: FaultType<any, any, Conn>[];
  probes: ProbeType<any, Conn>[];
  parseConfig(raw: Record<string, unknown> | undefined, issues: IssueSink): Config | undefined;
  /** Opens a connection and checks the system answers (plan time). Throws FIREBREAK_E_DRIVER_UNREACHABLE. */
  connect(config: Config, ctx: DriverCallContext): Promise<Conn>;
  disconnect?(conn: Conn): Promise<void>;
  /** Checks a target selector at validation time (unknown keys, wrong types), before anything runs. */
  parseSelector?(raw: Record<string, unknown>, issues: IssueSink): void;
  /** Lists candidate targets matching a selector (target cohorts). Drivers without targets omit it. */
  listTargets?(conn: Conn, selector: TargetSelector, ctx: DriverCallContext): Promise<Target[]>;
  /** Optional: whether a listed target matches a selector with every key the driver knows (protect selectors); the generic match otherwise. */
  matchesTarget?(target: Target, selector: TargetSelector): boolean;
  /** Optional: checks the chosen canary against the system before anything is touched (a disruption budget); throws a coded error to refuse the plan. */
  checkSelection?(conn: Conn, selection: { canary: Target[]; control: Target[] }, faults: { type: string; attrs: unknown }[], ctx: DriverCallContext): Promise<void>;
  /** Optional: finds what the driver's faults left behind without a ledger (by their labels) and reverts what expired or whose run is over. */
  sweep?(conn: Conn, opts: SweepOptions, ctx: DriverCallContext): Promise<SweepItem[]>;
  /**
   * Optional, at validation: checks the driver's settings against the rest of the experiment (its
   * cohorts, faults and probes) and returns them completed (for example proxies put in cohort mode
   * by `cohort.traffic`). Contradictions go to `issues` (paths relative to `target.<driver>`).
   */
  reconcile?(config: Config, experiment: ReconcileInput, issues: IssueSink): Config;
  /**
   * Optional, at plan time with a live connection: checks what the experiment assumes of the system
   * (a running proxy's cohort settings, that named objects exist) and throws FIREBREAK_E_PLAN when it
   * does not hold. Returns lines for the plan (what will be hurt, and how).
   */
  checkPlan?(conn: Conn, config: Config, experiment: Experiment, ctx: DriverCallContext): Promise<string[]>;
  /**
   * Optional: marks `target` as under a fault of this run where the target system can hold the mark;
   * throws FirebreakError('FIREBREAK_E_TARGET_BUSY') if another live run holds it. Drivers without it
   * get a host-wide file claim (src/engine/claims.ts).
   */
  claimTarget?(conn: Conn, target: Target, claim: TargetClaim, ctx: DriverCallContext): Promise<void>;
  /** Removes this run's mark (only this run's: a mark of another run is left alone). */
  releaseTarget?(conn: Conn, target: Target, claim: TargetClaim, ctx: DriverCallContext): Promise<void>;
}
