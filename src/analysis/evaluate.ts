import type { PhaseName, ToleranceSpec } from '../experiment/model.js';
import type { PhaseRecord, Evidence } from '../engine/journal.js';
import type { CollectFailures } from '../engine/measure.js';
import type { CohortName, WindowSignals } from '../signals/types.js';
import { compare } from './expressions.js';
import { formatField, readPath, round, signalField } from './fields.js';
import { compareCohortsFor } from './canary.js';
import { fieldRange, requestsNeeded, sampleRange } from './bounds.js';

type Signals = Partial<Record<CohortName | 'all', WindowSignals>>;
type Base = Omit<Evidence, 'outcome' | 'expected' | 'observed'>;

/** A probe whose collections failed more often than this in a phase could not measure it. */
export const MAX_FAILED_COLLECTIONS = 0.2;

export interface EvaluateInput {
  phase: PhaseName;
  record: PhaseRecord;
  before?: PhaseRecord;
  /** Number of canary-vs-control decisions in the run, for the multiple-comparison correction. */
  comparisons: number;
  /** Whether a probe measures in this phase (value probes may be limited to some phases). */
  measuredIn?: (probe: string, phase: PhaseName) => boolean;
  /** The cohorts a signals probe measures (from its configuration, never from what it happened to see). */
  cohortsOf?: (probe: string) => readonly CohortName[] | undefined;
  /** How often each signals probe failed to collect in this phase. */
  failures?: ReadonlyMap<string, CollectFailures>;
}

/** Decides every tolerance that applies to a phase. */
export function evaluatePhase(tolerances: ToleranceSpec[], input: EvaluateInput): Evidence[] {
  return tolerances
    .filter((t) => t.phases.includes(input.phase) && (input.measuredIn?.(t.probe, input.phase) ?? true))
    .map((t) => evaluateTolerance(t, input));
}

/** How many canary-vs-control decisions a run makes (tolerances x phases), for Bonferroni. */
export function countComparisons(tolerances: ToleranceSpec[], phases: PhaseName[]): number {
  return tolerances.filter((t) => t.kind === 'canary-vs-control').reduce((n, t) => n + t.phases.filter((p) => phases.includes(p)).length, 0);
}

export function evaluateTolerance(t: ToleranceSpec, input: EvaluateInput): Evidence {
  const base: Base = { check: t.text, kind: t.kind, phase: input.phase, probe: t.probe };
  const signals = input.record.signals[t.probe];
  const result = input.record.probes[t.probe];
  const isSignals = signals !== undefined || input.failures?.has(t.probe) || input.cohortsOf?.(t.probe) !== undefined;
  if (isSignals) {
    const broken = measurementFailure(t, input);
    if (broken) return { ...base, ...broken };
    if (t.kind === 'canary-vs-control') {
      const untrusted = untrustworthy(signals, ['canary', 'control']);
      if (untrusted) return { ...base, cohort: 'canary', outcome: 'inconclusive', expected: t.text, observed: null, reason: untrusted };
      return { ...base, ...compareCohortsFor(t, signals ?? {}, input.comparisons), ...partial(t, input) };
    }
    if (isTextCheck(t)) return { ...base, outcome: 'error', expected: t.text, observed: null, reason: 'contains/matches apply to value probes' };
    return evaluateSignalTolerance(t, signals ?? {}, input, base);
  }
  if (t.kind === 'canary-vs-control') return { ...base, outcome: 'error', expected: t.text, observed: null, reason: `probe ${t.probe} measured nothing in ${input.phase}` };
  if (!result) return { ...base, outcome: 'inconclusive', expected: t.text, observed: null, reason: `probe ${t.probe} did not run in ${input.phase} (the phase was cut short)` };
  if (result.status === 'error') {
    const observed = { error: result.error?.message, ...(result.timedOut ? { timedOut: true } : {}) };
    // FIREBREAK_E_PROBE: the probe's own means of measuring failed (its backend did not answer), not the system.
    if (result.error?.code === 'FIREBREAK_E_PROBE') {
      return { ...base, outcome: 'error', expected: t.text, observed, reason: `the probe could not measure: ${result.error.message}` };
    }
    return { ...base, outcome: 'fail', expected: t.text, observed, reason: `the probe failed: ${result.error?.message}` };
  }
  const observed = readPath(result.value, t.field);
  if (t.kind === 'contains' || t.kind === 'matches') {
    const text = typeof observed === 'string' ? observed : JSON.stringify(observed ?? '');
    const hit = t.kind === 'contains' ? text.includes(t.value) : new RegExp(t.value).test(text);
    const ok = t.negate ? !hit : hit;
    return { ...base, outcome: ok ? 'pass' : 'fail', expected: `${t.field} ${t.negate ? 'not ' : ''}${t.kind} ${JSON.stringify(t.value)}`, observed: text.slice(0, 500) };
  }
  if (t.kind === 'relative') {
    const was = input.before?.probes[t.probe];
    const before = was?.status === 'ok' ? readPath(was.value, t.field) : undefined;
    if (typeof observed !== 'number' || typeof before !== 'number') {
      return { ...base, outcome: 'error', expected: t.text, observed: { now: observed ?? null, before: before ?? null }, reason: 'relative tolerances need a number now and before' };
    }
    const limit = before * t.factor;
    return { ...base, outcome: compare(observed, t.op, limit) ? 'pass' : 'fail', expected: `${t.field} ${t.op} ${round(limit)} (${t.factor}x before: ${round(before)})`, observed };
  }
  if (observed === undefined) return { ...base, outcome: 'fail', expected: t.text, observed: null, reason: `the probe's result has no field "${t.field}"` };
  if (t.kind !== 'absolute') return { ...base, outcome: 'error', expected: t.text, observed, reason: `unsupported tolerance kind ${t.kind}` };
  const ok = compare(observed as number | string | boolean, t.op, t.value);
  return { ...base, outcome: ok ? 'pass' : 'fail', expected: `${t.field} ${t.op} ${JSON.stringify(t.value)}`, observed };
}

function evaluateSignalTolerance(t: SignalCheck, signals: Signals, input: EvaluateInput, base: Base): Evidence {
  const cohort = t.cohort ?? defaultCohort(input.cohortsOf?.(t.probe), signals);
  const w = signals[cohort];
  const at = { ...base, cohort };
  const expected = t.kind === 'relative' ? t.text : `${t.field} ${t.op} ${typeof t.value === 'number' ? formatField(t.field, t.value) : JSON.stringify(t.value)}`;
  const untrusted = untrustworthy(signals, [cohort]);
  if (untrusted) return { ...at, outcome: 'inconclusive', expected, observed: null, reason: untrusted };
  const outstanding = w?.outstanding?.count ?? 0;
  const samples = { requests: w?.traffic.count ?? 0, errors: w?.errors.count ?? 0, ...(outstanding ? { outstanding } : {}), ...(w?.generator ? { scheduledSends: w.generator.scheduledSends, droppedSends: w.generator.droppedSends } : {}) };
  const none = noData(t.field, cohort, w, input.phase);
  if (none) return { ...at, outcome: 'inconclusive', expected, observed: null, samples, reason: none };
  const observed = signalField(w, t.field);
  if (observed === undefined) return { ...at, outcome: 'inconclusive', expected, observed: null, samples, reason: `no ${t.field} measured for the ${cohort} cohort in ${input.phase}` };
  let limit: number;
  let expectedText = expected;
  if (t.kind === 'relative') {
    const before = signalField(input.before?.signals[t.probe]?.[cohort], t.field);
    if (before === undefined || noData(t.field, cohort, input.before?.signals[t.probe]?.[cohort], 'before')) {
      return { ...at, outcome: 'inconclusive', expected, observed: formatField(t.field, observed), samples, reason: 'nothing measured before to compare with' };
    }
    limit = before * t.factor;
    expectedText = `${t.field} ${t.op} ${formatField(t.field, limit)} (${t.factor}x before: ${formatField(t.field, before)})`;
  } else if (typeof t.value !== 'number') {
    return { ...at, outcome: 'error', expected, observed, reason: `a signal field is a number; "${t.text}" compares it with ${JSON.stringify(t.value)}` };
  } else limit = t.value;
  // What the field could be: the requests still in flight may end either way, and the sample itself
  // only bounds the value (one-sided 95% each way). Pass only if the limit holds at both ends.
  const inFlight = fieldRange(w!, t.field);
  const sample = sampleRange(w!, t.field);
  const range = { lo: Math.min(inFlight.lo, sample.lo), hi: Math.max(inFlight.hi, sample.hi) };
  const lo = compare(range.lo, t.op, limit);
  const hi = compare(range.hi, t.op, limit);
  const shown = formatField(t.field, observed);
  const bounds = `${formatField(t.field, range.lo)}..${formatField(t.field, range.hi)}`;
  if (lo === hi) return { ...at, outcome: lo ? 'pass' : 'fail', expected: expectedText, observed: shown, samples, ...(range.lo !== range.hi ? { reason: `plausible range ${bounds}` } : {}), ...partial(t, input) };
  const needed = requestsNeeded(t.field, w!, limit);
  const why = inFlight.lo !== inFlight.hi && (inFlight.lo !== sample.lo || inFlight.hi !== sample.hi) && (compare(inFlight.lo, t.op, limit) !== compare(inFlight.hi, t.op, limit))
    ? `${outstanding} request(s) were still in flight when the phase ended; depending on how they end, ${t.field} is between ${formatField(t.field, inFlight.lo)} and ${formatField(t.field, inFlight.hi)}`
    : `with ${samples.requests} request(s), ${t.field} of the ${cohort} cohort is only known to lie in ${bounds} (95% bounds each way)${needed !== undefined ? `; about ${needed} requests would decide` : ''}`;
  return { ...at, outcome: 'inconclusive', expected: expectedText, observed: shown, samples: { ...samples, ...(needed !== undefined ? { needed } : {}) }, reason: `${why}: on both sides of the limit` };
}

type TextCheck = Extract<ToleranceSpec, { kind: 'contains' | 'matches' }>;
type SignalCheck = Exclude<ToleranceSpec, TextCheck | { kind: 'canary-vs-control' }>;

function isTextCheck(t: ToleranceSpec): t is TextCheck {
  return t.kind === 'contains' || t.kind === 'matches';
}

/**
 * The cohort a check reads when it names none: the canary when the probe measures one, otherwise all
 * of its traffic. Decided by the probe's configuration, never by what it happened to see: a canary
 * that saw nothing must read as nothing, not be replaced by the other cohorts.
 */
export function defaultCohort(cohorts: readonly CohortName[] | undefined, signals: Signals): CohortName | 'all' {
  if (cohorts) return cohorts.includes('canary') ? 'canary' : 'all';
  return signals.canary ? 'canary' : 'all';
}

/** Why a cohort's window cannot support the field at all (no traffic to take a rate over), if so. */
function noData(field: string, cohort: string, w: WindowSignals | undefined, phase: string): string | undefined {
  const outstanding = w?.outstanding?.count ?? 0;
  const scheduled = w?.generator?.scheduledSends;
  if (!w || (w.traffic.count === 0 && outstanding === 0)) {
    if (scheduled === 0 || (!w && !field.startsWith('saturation'))) return `the ${cohort} cohort saw no traffic in ${phase}: nothing to judge (is the cohort configured, and does the load reach it?)`;
  }
  if (!w) return undefined;
  const requests = w.traffic.count + outstanding;
  if (/^errors\./.test(field) && requests === 0) return `no request of the ${cohort} cohort in ${phase}: an error rate over no requests is undefined`;
  if (/^errors\./.test(field) && w.traffic.count === 0) return `no request of the ${cohort} cohort completed in ${phase} (${outstanding} still in flight): its error rate is unknown`;
  if (/^latency\./.test(field) && !field.endsWith('.count') && w.latency.count === 0) {
    return `no request of the ${cohort} cohort succeeded in ${phase}${outstanding ? ` (${outstanding} still in flight)` : ''}: its latency is absent, not 0 ms`;
  }
  if (/^latencyFailed\./.test(field) && !field.endsWith('.count') && w.latencyFailed.count === 0) return `no request of the ${cohort} cohort failed in ${phase}: there is no failed-request latency`;
  return undefined;
}

/**
 * Why the load generator's numbers cannot be trusted in the window, if so. Its health is judged over
 * all of its traffic: falling behind is the generator's own state, shared by every cohort, and a
 * cohort's slice of it would only add sampling noise.
 */
function untrustworthy(signals: Signals | undefined, cohorts: readonly (CohortName | 'all')[]): string | undefined {
  const g = signals?.all?.generator ?? cohorts.map((c) => signals?.[c]?.generator).find((x) => x && !x.trustworthy);
  if (g && !g.trustworthy) return `the load generator could not keep its schedule, so its numbers are not evidence either way: ${g.note ?? 'see the journal'}`;
  return undefined;
}

/** The probe could not measure the phase (its collections failed too often, or never answered for the cohort). */
function measurementFailure(t: ToleranceSpec, input: EvaluateInput): Pick<Evidence, 'outcome' | 'expected' | 'observed' | 'reason'> | undefined {
  const f = input.failures?.get(t.probe);
  if (!f || f.looks === 0) return undefined;
  const cohorts = t.kind === 'canary-vs-control' ? (['canary', 'control'] as const) : undefined;
  const missing = cohorts ? Math.max(...cohorts.map((c) => f.missing[c] ?? 0)) : Math.max(0, ...Object.values(f.missing).map((v) => v ?? 0));
  const lost = f.failed + missing;
  if (lost <= MAX_FAILED_COLLECTIONS * f.looks) return undefined;
  return {
    outcome: 'error', expected: t.text, observed: null,
    reason: `the probe could not measure: ${lost} of ${f.looks} collections in ${input.phase} failed or came back without the cohort${f.lastError ? ` (last: ${f.lastError})` : ''}`,
  };
}

/** A note on the evidence when some collections failed, though not enough to void it. */
function partial(t: ToleranceSpec, input: EvaluateInput): { note?: string } {
  const f = input.failures?.get(t.probe);
  if (!f || f.failed === 0) return {};
  return { note: `${f.failed} of ${f.looks} collections of ${t.probe} failed in ${input.phase}${f.lastError ? ` (last: ${f.lastError})` : ''}` };
}
