import type { Evidence, Journal, Status } from './journal.js';

export interface VerdictInput {
  journal: Journal;
  evidence: Evidence[];
  failed: boolean;
  notSteady: boolean;
  aborted: boolean;
  interrupted: boolean;
}

/**
 * The run's status, most serious first: the run could not do its job (failed), someone stopped it
 * (interrupted), a stop condition tripped (aborted), the system was not steady before (not-steady),
 * a tolerance failed on what was measured (deviated), a probe could not measure (failed: the tool's
 * failure is never the system's deviation), too little evidence to decide (inconclusive), else held.
 * `held` needs at least one check that passed: a run that judged nothing has no evidence to offer.
 */
export function decideVerdict(v: VerdictInput): { status: Status; reason: string } {
  const failing = v.evidence.filter((e) => e.outcome === 'fail');
  const broken = v.evidence.filter((e) => e.outcome === 'error');
  const warn = v.journal.warnings.length ? ` Warning: ${v.journal.warnings.join('; ')}` : '';
  if (v.failed) return { status: 'failed', reason: v.journal.errors.map((e) => (e.code ? `${e.code}: ${e.message}` : e.message)).join('; ') || 'the run could not complete' };
  if (v.interrupted) return { status: 'interrupted', reason: `interrupted by ${v.journal.interrupted?.signal ?? 'a signal'}; every fault was reverted` };
  if (v.aborted) return { status: 'aborted', reason: `stop condition tripped: ${v.journal.aborted?.condition}; faults reverted at once` };
  if (v.notSteady) return { status: 'not-steady', reason: `the steady state did not hold before any fault: ${describe(failing)}` };
  if (failing.length) return { status: 'deviated', reason: `${describe(failing)}${warn}` };
  if (broken.length) return { status: 'failed', reason: `a probe could not measure, so the hypothesis could not be judged: ${broken.map((e) => `${e.check} (${e.phase}): ${e.reason}`).join('; ')}` };
  const unsure = v.evidence.filter((e) => e.outcome === 'inconclusive');
  if (unsure.length) return { status: 'inconclusive', reason: `the evidence does not decide: ${unsure.map((e) => `${e.check} (${e.phase}${e.cohort ? `, ${e.cohort}` : ''}): ${e.reason}`).join('; ')}${warn}` };
  if (v.journal.warnings.length) return { status: 'inconclusive', reason: `every check passed, but the run may not have tested what it claims.${warn}` };
  return { status: 'held', reason: v.evidence.length ? `all ${v.evidence.length} checks passed` : 'no tolerance was set; every fault was applied and reverted' };
}

/** Failed checks, shortest first-hand form: the rule, where, what was seen (and the p-value if any). */
function describe(list: Evidence[]): string {
  return list
    .map((e) => {
      const where = e.phase ? ` (${e.phase}${e.cohort ? `, ${e.cohort}` : ''})` : '';
      const seen = typeof e.observed === 'string' ? e.observed : observedText(e.observed);
      return `${e.check}${where}: observed ${seen}${e.pValue !== undefined ? ` (p=${e.pValue.toPrecision(2)})` : ''}`;
    })
    .join('; ');
}

function observedText(v: unknown): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} ${typeof x === 'string' ? x : JSON.stringify(x)}`).join(', ');
  }
  return JSON.stringify(v);
}
