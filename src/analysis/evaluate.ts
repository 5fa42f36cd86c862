import type { PhaseName, ToleranceSpec } from '../experiment/model.js';
import type { PhaseRecord, Evidence } from '../engine/journal.js';
import type { CohortName, WindowSignals } from '../signals/types.js';
import { compare } from './expressions.js';
import { formatField, readPath, round, signalField } from './fields.js';
import { compareCohortsFor } from './canary.js';

type Signals = Partial<Record<CohortName | 'all', WindowSignals>>;

export interface EvaluateInput {
  phase: PhaseName;
  record: PhaseRecord;
  before?: PhaseRecord;
  /** Number of canary-vs-control decisions in the run, for the multiple-comparison correction. */
  comparisons: number;
  /** Whether a probe measures in this phase (value probes may be limited to some phases). */
  measuredIn?: (probe: string, phase: PhaseName) => boolean;
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
  const base = { check: t.text, kind: t.kind, phase: input.phase, probe: t.probe };
  const signals = input.record.signals[t.probe];
  const result = input.record.probes[t.probe];
  if (t.kind === 'canary-vs-control') {
    if (!signals) return { ...base, outcome: 'error', expected: t.text, observed: null, reason: `probe ${t.probe} measured nothing in ${input.phase}` };
    return { ...base, ...compareCohortsFor(t, signals, input.comparisons) };
  }
  if (signals) return evaluateSignalTolerance(t, signals, input, base);
  if (!result) return { ...base, outcome: 'inconclusive', expected: t.text, observed: null, reason: `probe ${t.probe} did not run in ${input.phase} (the phase was cut short)` };
  if (result.status === 'error') {
    return { ...base, outcome: 'fail', expected: t.text, observed: { error: result.error?.message, ...(result.timedOut ? { timedOut: true } : {}) }, reason: `the probe failed: ${result.error?.message}` };
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

function evaluateSignalTolerance(t: Exclude<ToleranceSpec, { kind: 'canary-vs-control' }>, signals: Signals, input: EvaluateInput, base: Omit<Evidence, 'outcome' | 'expected' | 'observed'>): Evidence {
  const cohort = t.kind === 'absolute' || t.kind === 'relative' ? (t.cohort ?? defaultCohort(signals)) : defaultCohort(signals);
  const w = signals[cohort];
  const samples = { [cohort]: w?.traffic.count ?? 0 };
  if (t.kind === 'contains' || t.kind === 'matches') return { ...base, cohort, outcome: 'error', expected: t.text, observed: null, reason: 'contains/matches apply to value probes' };
  const observed = signalField(w, t.field);
  if (observed === undefined) return { ...base, cohort, outcome: 'inconclusive', expected: t.text, observed: null, samples, reason: `no ${t.field} measured for the ${cohort} cohort in ${input.phase}` };
  if (/^latency\./.test(t.field) && (w?.latency.count ?? 0) === 0) return { ...base, cohort, outcome: 'inconclusive', expected: t.text, observed: null, samples, reason: `no successful request in the ${cohort} cohort in ${input.phase}` };
  if (t.kind === 'relative') {
    const before = signalField(input.before?.signals[t.probe]?.[cohort], t.field);
    if (before === undefined) return { ...base, cohort, outcome: 'inconclusive', expected: t.text, observed, samples, reason: 'nothing measured before to compare with' };
    const limit = before * t.factor;
    return { ...base, cohort, outcome: compare(observed, t.op, limit) ? 'pass' : 'fail', expected: `${t.field} ${t.op} ${formatField(t.field, limit)} (${t.factor}x before: ${formatField(t.field, before)})`, observed: formatField(t.field, observed), samples };
  }
  if (t.kind !== 'absolute') return { ...base, cohort, outcome: 'error', expected: t.text, observed, reason: `unsupported tolerance kind ${t.kind}` };
  const ok = compare(observed, t.op, t.value);
  return { ...base, cohort, outcome: ok ? 'pass' : 'fail', expected: `${t.field} ${t.op} ${typeof t.value === 'number' ? formatField(t.field, t.value) : JSON.stringify(t.value)}`, observed: formatField(t.field, observed), samples };
}

/** The canary when the probe split traffic into cohorts, otherwise everything it measured. */
export function defaultCohort(signals: Signals): CohortName | 'all' {
  return signals.canary && signals.canary.traffic.count + (signals.canary.saturation ? 1 : 0) > 0 ? 'canary' : 'all';
}
