import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { EXIT, describeError, isFirebreakError } from '../errors.js';
import { scrub, silentLogger } from '../log.js';
import { defaultRegistry } from '../drivers/builtin.js';
import type { Registry } from '../drivers/registry.js';
import type { Experiment } from '../experiment/model.js';
import { VERSION } from '../version.js';
import { createInterruption, runController, type Interruption, type RunContext } from './context.js';
import { RunEvents } from './events.js';
import { JOURNAL_SCHEMA, type Evidence, type Journal, type PlanSummary, type Status } from './journal.js';
import { Ledger, defaultLedgerPath } from './ledger.js';
import { trackRun } from './live-runs.js';
import { SignalHub } from './measure.js';
import { afterPhase, beforePhase, duringPhase, injectPhase, judgeDuring, recordError, revertPhase } from './phases.js';
import { checkLedgerClean, connectDrivers, disconnectDrivers, resolvePlan } from './plan.js';
import { decideVerdict } from './verdict.js';
import { reachEvidence } from './reach.js';
import { logRunEvents } from './log-events.js';

export interface RunOptions {
  registry?: Registry;
  logger?: Logger;
  events?: RunEvents;
  interruption?: Interruption;
  ledgerPath?: string;
  /** Stop after the plan: nothing is touched. */
  dryRun?: boolean;
  /**
   * Asked with the plan before anything is touched (the CLI's prompt when a fault would reach many
   * targets); false ends the run as planned, nothing touched.
   */
  confirm?: (plan: PlanSummary, signal: AbortSignal) => Promise<boolean>;
  /** Overrides the target cohort's seed. */
  seed?: string;
  /** The experiment as written, for the journal. */
  given?: unknown;
  runId?: string;
}

export interface RunResult {
  status: Status;
  exitCode: number;
  journal: Journal;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Runs one experiment through its lifecycle (ARCHITECTURE.md, "The run"): plan, before, inject, during, revert, after,
 * verdict. Whatever happens after the first intent is ledgered, every fault is reverted.
 */
export async function runExperiment(experiment: Experiment, opts: RunOptions = {}): Promise<RunResult> {
  const runId = opts.runId ?? newRunId();
  const logger = (opts.logger ?? silentLogger()).child({ runId });
  const events = opts.events ?? new RunEvents();
  const unlog = logRunEvents(events, logger);
  try {
    return await lifecycle(experiment, opts, { runId, logger, events });
  } finally {
    unlog();
  }
}

async function lifecycle(experiment: Experiment, opts: RunOptions, { runId, logger, events }: { runId: string; logger: Logger; events: RunEvents }): Promise<RunResult> {
  const interruption = opts.interruption ?? createInterruption();
  const startedAt = new Date();
  const journal: Journal = {
    schema: JOURNAL_SCHEMA,
    runId,
    firebreak: VERSION,
    startedAt: startedAt.toISOString(),
    experiment: { source: experiment.source, title: experiment.title, tags: experiment.tags, given: opts.given ?? null, resolved: scrub(resolvedView(experiment)) },
    phases: [],
    faults: [],
    rollbacks: [],
    verdict: { status: 'failed', exitCode: EXIT.failed, reason: 'the run did not finish', evidence: [] },
    errors: [],
    warnings: [],
  };
  let ledger: Ledger;
  try {
    ledger = Ledger.open(opts.ledgerPath ?? defaultLedgerPath(), { reserve: !opts.dryRun });
  } catch (err) {
    return finish({ journal, events, startedAt }, 'failed', `cannot use the ledger${isFirebreakError(err) ? ` (${err.code})` : ''}: ${describeError(err).message}`, [], err);
  }
  const tracked = trackRun({ runId, ledger, interruption });
  const ctx: RunContext = {
    runId, experiment, registry: opts.registry ?? defaultRegistry(), logger, ledger, events, interruption,
    drivers: new Map(), instances: [], order: [], planned: false, revertDone: false, journal, abort: runController(), options: { ...(opts.seed ? { seed: opts.seed } : {}) },
    claims: new Map(),
  };
  let hub: SignalHub | undefined;
  const evidence: Evidence[] = [];
  let notSteady = false;
  let failed = false;
  let revertFailures: string[] = [];
  try {
    events.emitEvent('phase-started', { phase: 'plan', durationMs: 0, at: Date.now() });
    checkLedgerClean(ctx);
    await connectDrivers(ctx, opts.dryRun ? 'dry-run' : 'run');
    journal.plan = await resolvePlan(ctx);
    const declined = !opts.dryRun && opts.confirm ? !(await opts.confirm(journal.plan, interruption.soft.signal)) : false;
    ctx.planned = !opts.dryRun && !declined;
    events.emitEvent('run-started', { runId, title: experiment.title, source: experiment.source, plan: journal.plan });
    events.emitEvent('phase-ended', { phase: 'plan', at: Date.now() });
    if (opts.dryRun || declined) {
      journal.verdict = { status: 'planned', exitCode: 0, reason: declined ? 'not confirmed: planned only, nothing touched' : 'dry run: planned only, nothing touched', evidence: [] };
      return { status: 'planned', exitCode: 0, journal: scrub(end(journal, startedAt)) };
    }
    hub = new SignalHub(ctx);
    await hub.start(interruption.soft.signal);
    const before = await beforePhase(ctx, hub);
    evidence.push(...before.evidence);
    notSteady = before.evidence.some((e) => e.outcome === 'fail');
    // A steady state that could not be measured is not a steady state: nothing is injected.
    const unmeasured = !notSteady && before.evidence.some((e) => e.outcome === 'error');
    if (!notSteady && !unmeasured && !interruption.soft.signal.aborted) {
      let during;
      try {
        await injectPhase(ctx);
        during = await duringPhase(ctx, hub, before.record);
      } finally {
        revertFailures = await revertPhase(ctx);
        evidence.push(...reachEvidence(ctx));
      }
      evidence.push(...(await judgeDuring(ctx, hub, during.record, before.record)));
      if (!interruption.hard.signal.aborted) {
        const after = await afterPhase(ctx, hub, before.record);
        evidence.push(...after.evidence);
      } else if (journal.interrupted) journal.interrupted.skippedAfter = true;
    }
  } catch (err) {
    // An error caused by the interruption itself (a cancelled apply or probe start) is not a failure.
    failed = !interruption.soft.signal.aborted;
    recordError(ctx, phaseOf(err), err);
    if (!ctx.revertDone && ctx.order.length) revertFailures = await revertPhase(ctx);
  } finally {
    await hub?.stop();
    await disconnectDrivers(ctx);
    ledger.close();
    tracked.finished();
  }
  if (interruption.soft.signal.aborted) {
    journal.interrupted ??= { signal: interruption.reason ?? 'SIGINT', at: new Date().toISOString(), skippedAfter: interruption.hard.signal.aborted };
  }
  if (revertFailures.length) {
    const why = (id: string): string => journal.faults.find((f) => f.id === id)?.error ?? 'unknown';
    journal.errors.push({ phase: 'revert', code: 'FIREBREAK_E_REVERT', message: `could not revert ${revertFailures.map((id) => `${id} (${why(id)})`).join(', ')}: they stay in the ledger for \`firebreak recover\`` });
  }
  // A ledger that could not record a revert leaves an open entry behind: the run did not fully do its job.
  const ledgerTrouble = journal.errors.some((e) => e.code === 'FIREBREAK_E_LEDGER_WRITE');
  const verdict = decideVerdict({ journal, evidence, failed: failed || revertFailures.length > 0 || ledgerTrouble, notSteady, aborted: Boolean(journal.aborted), interrupted: interruption.soft.signal.aborted });
  return finish({ journal, events, startedAt }, verdict.status, verdict.reason, evidence);
}

function finish(run: { journal: Journal; events: RunEvents; startedAt: Date }, status: Status, reason: string, evidence: Evidence[], err?: unknown): RunResult {
  const { journal } = run;
  if (err) journal.errors.push({ phase: 'plan', message: describeError(err).message, ...(isFirebreakError(err) ? { code: err.code } : {}) });
  journal.verdict = { status, exitCode: EXIT[status], reason, evidence };
  // What leaves the engine is scrubbed: no secret value reaches a reporter, a file or the caller.
  const clean = scrub(end(journal, run.startedAt));
  run.events.emitEvent('run-ended', { status, exitCode: clean.verdict.exitCode, journal: clean });
  return { status, exitCode: clean.verdict.exitCode, journal: clean };
}

function end(journal: Journal, startedAt: Date): Journal {
  journal.endedAt = new Date().toISOString();
  journal.durationMs = Date.now() - startedAt.getTime();
  return journal;
}

function phaseOf(err: unknown): string {
  if (!isFirebreakError(err)) return 'run';
  if (['FIREBREAK_E_APPLY', 'FIREBREAK_E_LEDGER_WRITE', 'FIREBREAK_E_TARGET_BUSY'].includes(err.code)) return 'inject';
  if (['FIREBREAK_E_PLAN', 'FIREBREAK_E_BLAST_RADIUS', 'FIREBREAK_E_DRIVER_UNREACHABLE', 'FIREBREAK_E_LEDGER_DIRTY'].includes(err.code)) return 'plan';
  return 'run';
}

/** The experiment as resolved, without internals the journal does not need. */
function resolvedView(e: Experiment): unknown {
  return {
    title: e.title, description: e.description, tags: e.tags, configuration: e.configuration, secrets: e.secretNames,
    target: e.target, cohort: e.cohort, phases: e.phases,
    hypothesis: { probes: e.hypothesis.probes.map((p) => ({ name: p.name, type: p.type, ...p.raw })), tolerances: e.hypothesis.tolerances.map((t) => t.text) },
    faults: e.faults.map((f) => ({ name: f.name, type: f.type, start: f.start, duration: f.duration, description: f.description, ...f.raw })),
    abort: e.abort.map((a) => a.text),
    rollbacks: e.rollbacks.map((r) => ({ name: r.name, type: r.type, ...r.raw })),
  };
}
