import type { TargetSelector } from '../drivers/types.js';
import type { JsonObject } from '../faults/types.js';

/** The validated, variable-substituted experiment the engine runs. Durations in ms, shares as 0..1. */
export interface Experiment {
  title: string;
  description?: string;
  tags: string[];
  /** Where the experiment came from (file path or `<inline>`); errors and journals name it. */
  source: string;
  baseDir: string;
  configuration: Record<string, unknown>;
  /** Names of secrets (never their values). */
  secretNames: string[];
  /** Driver configurations keyed by driver name (`target.proxy`, `target.docker`...). */
  target: Record<string, JsonObject>;
  cohort: CohortSpec;
  phases: Phases;
  hypothesis: { probes: ProbeSpec[]; tolerances: ToleranceSpec[] };
  faults: FaultSpec[];
  abort: AbortSpec[];
  /** Extra clean-up actions (value probes such as `process` or `http`) run after every revert. */
  rollbacks: ProbeSpec[];
}

export interface Phases {
  before: number;
  during: number;
  after: number;
  tick: number;
  /** Budget for one external call (driver or probe), default 10 s. */
  callTimeout: number;
  /** Extra time a phase may take beyond its length before it is cut (probes, applies), default 60 s. */
  phaseGrace: number;
  /** How many targets' faults are applied or reverted at once (a count, not a duration), default 16. */
  concurrency: number;
}

export interface TrafficCohort {
  canary: number;
  control: number;
  key: string;
  salt: string;
}

export interface TargetCohort {
  driver: string;
  selector: TargetSelector;
  mode: 'one' | 'all' | 'fixed' | 'percent' | 'random-max-percent';
  value?: number;
  seed: string;
  protect?: TargetSelector;
  maxBlastRadius?: { count?: number; fraction?: number };
  includeStopped?: boolean;
}

export interface CohortSpec {
  traffic?: TrafficCohort;
  targets?: TargetCohort;
}

export interface ProbeSpec {
  name: string;
  type: string;
  driver: string;
  kind: 'value' | 'signals';
  /** Attributes as parsed by the probe type. */
  attrs: unknown;
  /** Attributes as written (after variables), for the journal. */
  raw: Record<string, unknown>;
  /** When a value probe runs: at the end of which phases. */
  phases: PhaseName[];
  /** `probes/<use>.yaml` when the probe was referenced by name. */
  use?: string;
}

export type PhaseName = 'before' | 'during' | 'after';

export interface FaultSpec {
  name: string;
  type: string;
  driver: string;
  scope: 'target' | 'none';
  attrs: unknown;
  raw: Record<string, unknown>;
  /** Offset into the during phase, ms. */
  start: number;
  /** How long the fault stays; undefined = until the end of the during phase. */
  duration?: number;
  description: string;
}

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type CohortSel = 'canary' | 'control' | 'untouched' | 'all';

/** A tolerance over one probe's result. `text` is the canonical form shown in reports. */
export type ToleranceSpec =
  | {
      kind: 'absolute';
      text: string;
      probe: string;
      field: string;
      cohort?: CohortSel;
      op: Comparison;
      value: number | string | boolean;
      unit?: 'ms' | 'ratio' | 'count' | 'rate';
      phases: PhaseName[];
    }
  | {
      kind: 'relative';
      text: string;
      probe: string;
      field: string;
      cohort?: CohortSel;
      op: Comparison;
      factor: number;
      phases: PhaseName[];
    }
  | {
      kind: 'canary-vs-control';
      text: string;
      probe: string;
      field: string;
      op: '<=' | '>=';
      /** The factor on the control: `1.2x control` (1 when only an allowance is written). */
      margin: number;
      /** `+ 150ms` (or `- 10/s` for >=), in the field's unit; error rates default to DEFAULT_ERROR_ALLOWANCE. */
      allowance?: number;
      alpha: number;
      /** Intervals per cohort for per-interval fields (latency, saturation, traffic); requests per cohort for errors. */
      minSamples: number;
      phases: PhaseName[];
    }
  | {
      kind: 'contains' | 'matches';
      text: string;
      probe: string;
      field: string;
      value: string;
      negate: boolean;
      phases: PhaseName[];
    };

/** A stop condition checked every tick during the fault. */
export type AbortSpec =
  | {
      kind: 'guard';
      text: string;
      probe: string;
      field: string;
      /** Undefined: the canary when the probe splits cohorts, otherwise all traffic. */
      cohort?: CohortSel;
      op: Comparison;
      value: number;
      /** Guard holds only once at least this many errors (for error rates) or requests were seen. */
      min?: number;
      /** Consecutive ticks the condition must hold. */
      ticks: number;
    }
  | {
      kind: 'guard-vs-control';
      text: string;
      probe: string;
      field: string;
      op: '>' | '>=' | '<' | '<=';
      factor: number;
      ticks: number;
      min?: number;
    }
  | {
      kind: 'sequential';
      text: string;
      probe: string;
      signal: 'errors' | 'latency';
      alpha: number;
      minErrors: number;
      /** Latency only: what counts as slow. Default: the slower cohort's p99 in the before phase. */
      slowerThan?: { ms: number } | { beforeFactor: number };
    };
