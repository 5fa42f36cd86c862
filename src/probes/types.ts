import type { Logger } from 'pino';
import type { AttributeDoc } from '../experiment/attributes.js';
import type { IssueSink } from '../experiment/issues.js';
import type { CohortName, SignalSource } from '../signals/types.js';
import type { SummarizeOptions } from '../signals/window.js';
import type { Target } from '../faults/types.js';

/** What every probe call receives. */
export interface ProbeContext<Conn = unknown> {
  signal: AbortSignal;
  logger: Logger;
  runId: string;
  timeoutMs: number;
  connection: Conn;
  /** Directory of the experiment file, for relative paths. */
  baseDir: string;
  /** The planned target cohorts, for probes that measure targets (container or pod saturation). */
  targets?: { canary: Target[]; control: Target[] };
}

/**
 * A probe's outcome. Results and errors share one shape: a probe that could not run is
 * `status: 'error'` with the reason flags, never a thrown exception out of the engine.
 */
export interface ProbeResult {
  status: 'ok' | 'error';
  /** The measured value: a number, a string, an object with fields tolerances can address. */
  value?: unknown;
  error?: { name: string; message: string; code?: string; cause?: unknown };
  timedOut?: boolean;
  canceled?: boolean;
  startedAt: string;
  durationMs: number;
}

/**
 * `value` probes answer once per phase (an HTTP status, a command's output, a container's state).
 * `signals` probes return a SignalSource the engine runs through the whole experiment, producing
 * golden signals per cohort per window (load generator, proxy counters, Prometheus, saturation).
 */
export interface ValueProbeType<Attrs = unknown, Conn = unknown> {
  kind: 'value';
  type: string;
  driver: string;
  summary: string;
  /** Its own attributes (beside the envelope): the validator, `list`, `explain` and the schema read these. */
  attributes: readonly AttributeDoc[];
  /** A working set of its attributes, shown by `explain` (a test parses every one). */
  example: Record<string, unknown>;
  parse(attrs: Record<string, unknown>, issues: IssueSink): Attrs | undefined;
  run(ctx: ProbeContext<Conn>, attrs: Attrs): Promise<unknown>;
}

export interface SignalProbeType<Attrs = unknown, Conn = unknown> {
  kind: 'signals';
  type: string;
  driver: string;
  summary: string;
  /** Its own attributes (beside the envelope): the validator, `list`, `explain` and the schema read these. */
  attributes: readonly AttributeDoc[];
  /** A working set of its attributes, shown by `explain` (a test parses every one). */
  example: Record<string, unknown>;
  parse(attrs: Record<string, unknown>, issues: IssueSink): Attrs | undefined;
  source(ctx: Omit<ProbeContext<Conn>, 'signal'>, attrs: Attrs): SignalSource;
  /**
   * Optional: the cohorts its intervals will carry under an experiment with (or without) a traffic or
   * target cohort. Checks that compare the canary with the control are refused at validation on a
   * probe that cannot measure both. Without it, a probe is taken to measure every cohort.
   */
  cohorts?(attrs: Attrs, experiment: { traffic: boolean; targets: boolean }): readonly CohortName[];
  /** Optional: how its windows are summarized (the load generator's lag bound, its timeout as a latency ceiling). */
  windowOptions?(attrs: Attrs): SummarizeOptions;
}

export type ProbeType<Attrs = any, Conn = any> = ValueProbeType<Attrs, Conn> | SignalProbeType<Attrs, Conn>;
