import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { EXIT, describeError } from '../errors.js';
import { silentLogger } from '../log.js';
import { evaluateTolerance } from '../analysis/evaluate.js';
import { defaultRegistry } from '../drivers/builtin.js';
import type { Registry } from '../drivers/registry.js';
import { createInterruption, type Interruption } from '../engine/context.js';
import { RunEvents } from '../engine/events.js';
import { writeJournal, type Evidence, type Journal, type Status } from '../engine/journal.js';
import { runExperiment } from '../engine/run.js';
import { loadExperimentFile, type Loaded } from '../experiment/loader.js';
import type { Issue } from '../experiment/issues.js';
import { History, runEntryOf } from '../history/history.js';
import type { ProbeResult, ValueProbeType } from '../probes/types.js';
import { withTimeout } from '../util/abort.js';
import type { Guard, Suite, SuiteEntry } from './load.js';
import { scoreOf, type Score } from './score.js';

/** How an experiment's verdict counts for the suite's gate. */
export type Gate = 'pass' | 'fail' | 'error' | 'skipped';

export interface SuiteOutcome {
  entry: SuiteEntry;
  title: string;
  status?: Status;
  gate: Gate;
  /** Why the gate says so (the verdict's reason, or why it did not run). */
  reason: string;
  journal?: Journal;
  journalPath?: string;
  /** A fault of this run was left applied (a revert failed): the worst outcome there is. */
  faultLeft?: boolean;
}

export interface SuiteResult {
  suite: Suite;
  suiteRunId: string;
  startedAt: string;
  endedAt: string;
  outcomes: SuiteOutcome[];
  /** Why the suite stopped before its end (a guard failed, a critical miss, a signal). */
  halted?: string;
  gate: 'passed' | 'failed';
  exitCode: number;
  score: Score;
}

export interface SuiteRunOptions {
  registry?: Registry;
  logger?: Logger;
  interruption?: Interruption;
  ledgerPath?: string;
  /** Where journals go (one file per experiment run). */
  journalDir?: string;
  /** Names each journal file (default `<started>-<runId>.json` in journalDir). */
  journalPathFor?: (entry: SuiteEntry, journal: Journal) => string;
  history?: History;
  /** Events for each experiment (progress reporters attach here). */
  eventsFor?: (entry: SuiteEntry, index: number) => RunEvents;
  /** Told when an experiment starts and ends (progress, JSON lines). */
  onOutcome?: (o: SuiteOutcome, index: number) => void;
  onStart?: (entry: SuiteEntry, index: number) => void;
  /** Set when a scheduler runs the suite. */
  schedule?: string;
}

/** Every experiment of a suite, validated before anything runs; the problems of all of them at once. */
export function loadSuiteExperiments(suite: Suite): { loaded: Loaded[]; issues: Issue[] } {
  const loaded = suite.experiments.map((e) => loadExperimentFile(e.path, { vars: { ...suite.vars, ...e.vars }, varFiles: suite.varFiles }));
  return { loaded, issues: loaded.flatMap((l) => l.issues) };
}

/**
 * Runs a suite: its experiments one after another (they share the ledger, and would blur each other's
 * canaries), each against its expectation; guards before each experiment and throughout, a failing
 * one halting the suite (the running experiment is interrupted and reverts); a miss of a critical
 * experiment stops it too. The gate passes only when every experiment met its expectation.
 */
export async function runSuite(suite: Suite, loaded: Loaded[], opts: SuiteRunOptions = {}): Promise<SuiteResult> {
  const suiteRunId = randomBytes(4).toString('hex');
  const logger = (opts.logger ?? silentLogger()).child({ suite: suite.name, suiteRunId });
  const registry = opts.registry ?? defaultRegistry();
  const interruption = opts.interruption ?? createInterruption();
  const startedAt = new Date().toISOString();
  const outcomes: SuiteOutcome[] = [];
  let halted: string | undefined;
  for (const [i, entry] of suite.experiments.entries()) {
    const experiment = loaded[i]?.experiment;
    const title = experiment?.title ?? relative(suite.baseDir, entry.path);
    if (halted || interruption.soft.signal.aborted) {
      outcomes.push({ entry, title, gate: 'skipped', reason: `not run: ${halted ?? `the suite was interrupted by ${interruption.reason ?? 'a signal'}`}` });
      continue;
    }
    if (!experiment) {
      outcomes.push({ entry, title, gate: 'error', reason: 'invalid experiment' });
      continue;
    }
    const before = await checkGuards(suite.guards, registry, logger, interruption.soft.signal);
    if (before) {
      halted = `guard ${before}, before ${title}`;
      outcomes.push({ entry, title, gate: 'skipped', reason: `not run: ${halted}` });
      continue;
    }
    opts.onStart?.(entry, i);
    const own = createInterruption();
    const forward = (): void => {
      own.reason ??= interruption.reason;
      if (interruption.soft.signal.aborted) own.soft.abort(interruption.soft.signal.reason);
      if (interruption.hard.signal.aborted) own.hard.abort(interruption.hard.signal.reason);
    };
    interruption.soft.signal.addEventListener('abort', forward);
    interruption.hard.signal.addEventListener('abort', forward);
    const watch = watchGuards(suite.guards, registry, logger, (why) => {
      halted ??= `guard ${why}, during ${title}`;
      own.reason ??= 'guard';
      own.soft.abort(new Error(halted));
    });
    let outcome: SuiteOutcome;
    try {
      const r = await runExperiment(experiment, {
        registry, logger, interruption: own, given: loaded[i]!.given,
        ...(opts.ledgerPath ? { ledgerPath: opts.ledgerPath } : {}),
        ...(opts.eventsFor ? { events: opts.eventsFor(entry, i) } : {}),
      });
      const journalPath = opts.journalPathFor?.(entry, r.journal) ?? join(opts.journalDir ?? join('.firebreak', 'journals'), `${r.journal.startedAt.replace(/[:.]/g, '-')}-${r.journal.runId}.json`);
      writeJournal(journalPath, r.journal);
      opts.history?.append(runEntryOf(r.journal, journalPath, suiteRunId));
      outcome = outcomeOf(entry, r.journal, suite, journalPath);
    } catch (err) {
      outcome = { entry, title, gate: 'error', reason: `could not run: ${describeError(err).message}` };
    } finally {
      watch.stop();
      interruption.soft.signal.removeEventListener('abort', forward);
      interruption.hard.signal.removeEventListener('abort', forward);
    }
    outcomes.push(outcome);
    opts.onOutcome?.(outcome, i);
    if (outcome.gate !== 'pass' && outcome.gate !== 'skipped' && !halted) {
      if (suite.stopOn === 'any' || (suite.stopOn === 'critical' && entry.critical)) halted = `${entry.critical ? 'critical ' : ''}experiment "${title}" missed its expectation (${outcome.status ?? outcome.gate})`;
    }
  }
  const score = scoreOf(
    outcomes.map((o) => ({ path: o.entry.path, weight: o.entry.weight, ...(o.status ? { status: o.status } : {}) })),
    { ...(opts.history ? { lastDecidedAt: (p: string) => opts.history!.lastDecidedAt(p) } : {}), staleAfterMs: suite.staleAfterMs },
  );
  const met = outcomes.every((o) => o.gate === 'pass' || (o.gate === 'skipped' && !halted && o.status === 'inconclusive'));
  const gate = met && !halted && !interruption.soft.signal.aborted ? 'passed' : 'failed';
  const exitCode = outcomes.some((o) => o.faultLeft)
    ? EXIT.failed
    : interruption.soft.signal.aborted && !halted?.startsWith('guard')
      ? EXIT.interrupted
      : gate === 'passed'
        ? 0
        : EXIT.gate;
  const result: SuiteResult = { suite, suiteRunId, startedAt, endedAt: new Date().toISOString(), outcomes, ...(halted ? { halted } : {}), gate, exitCode, score };
  opts.history?.append({
    kind: 'suite', at: result.endedAt, suiteRunId, suite: suite.name, source: suite.source, gate, exitCode,
    score: { value: score.value, text: score.text, coverage: score.coverage, stale: score.stale },
    outcomes: outcomes.map((o) => ({ experiment: o.title, source: o.entry.path, ...(o.status ? { status: o.status } : {}), gate: o.gate, expect: o.entry.expect, ...(o.journalPath ? { journal: o.journalPath } : {}) })),
    ...(halted ? { halted } : {}), ...(opts.schedule ? { schedule: opts.schedule } : {}),
  });
  return result;
}

/** How one verdict counts against its expectation (the suite's policy says what inconclusive means). */
export function outcomeOf(entry: SuiteEntry, journal: Journal, suite: Pick<Suite, 'inconclusive'>, journalPath?: string): SuiteOutcome {
  const status = journal.verdict.status;
  const faultLeft = journal.faults.some((f) => f.appliedAt && !f.revertedAt);
  let gate: Gate;
  if (faultLeft) gate = 'error';
  else if (entry.expect.includes(status)) gate = 'pass';
  else if (status === 'inconclusive') gate = suite.inconclusive === 'fail' ? 'fail' : 'skipped';
  else if (status === 'failed' || status === 'not-steady' || status === 'interrupted') gate = 'error';
  else gate = 'fail';
  const expected = `expected ${entry.expect.join(' or ')}`;
  return {
    entry, title: journal.experiment.title, status, gate, journal, ...(journalPath ? { journalPath } : {}), ...(faultLeft ? { faultLeft } : {}),
    reason: gate === 'pass' ? `${status} as expected` : `${status}, ${expected}: ${journal.verdict.reason}`,
  };
}

/** Runs every guard once; returns why the first failing one failed, or undefined when all pass. */
export async function checkGuards(guards: readonly Guard[], registry: Registry, logger: Logger, signal?: AbortSignal): Promise<string | undefined> {
  for (const g of guards) {
    const why = await checkGuard(g, registry, logger, signal);
    if (why) return why;
  }
  return undefined;
}

async function checkGuard(g: Guard, registry: Registry, logger: Logger, signal?: AbortSignal): Promise<string | undefined> {
  const type = registry.probe(g.probe.type) as ValueProbeType;
  const startedAt = new Date().toISOString();
  let result: ProbeResult;
  try {
    const value = await withTimeout(`guard ${g.name}`, 10_000, (s) => type.run({ signal: s, logger, runId: 'guard', timeoutMs: 10_000, connection: undefined, baseDir: '.' }, g.probe.attrs), signal);
    result = { status: 'ok', value, startedAt, durationMs: 0 };
  } catch (err) {
    result = { status: 'error', error: describeError(err), startedAt, durationMs: 0 };
  }
  const record = { phase: 'before' as const, startedAt, probes: { [g.name]: result }, signals: {} };
  const failing: Evidence[] = g.checks.map((t) => evaluateTolerance(t, { phase: 'before', record, comparisons: 1 })).filter((e) => e.outcome !== 'pass');
  if (failing.length === 0) return undefined;
  const e = failing[0]!;
  return `${g.name} failed: ${e.check}: observed ${typeof e.observed === 'string' ? e.observed : JSON.stringify(e.observed)}${e.reason ? ` (${e.reason})` : ''}`;
}

/** Runs the guards every `every` while an experiment runs (never two at once); calls `onFail` once. */
function watchGuards(guards: readonly Guard[], registry: Registry, logger: Logger, onFail: (why: string) => void): { stop(): void } {
  const timers: NodeJS.Timeout[] = [];
  const stopper = new AbortController();
  let failed = false;
  for (const g of guards) {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || failed) return;
      busy = true;
      void checkGuard(g, registry, logger, stopper.signal)
        .then((why) => {
          if (why && !failed && !stopper.signal.aborted) {
            failed = true;
            onFail(why);
          }
        })
        .finally(() => (busy = false));
    }, g.everyMs);
    timers.push(timer);
  }
  return {
    stop() {
      stopper.abort();
      for (const t of timers) clearInterval(t);
    },
  };
}
