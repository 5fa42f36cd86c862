import { DEFAULT_ERROR_ALLOWANCE } from '../analysis/canary.js';
import { countComparisons } from '../analysis/evaluate.js';
import type { LoadAttrs } from '../probes/load/attrs.js';
import { errorRateMargin } from '../analysis/stats/error-margin.js';
import { wilsonInterval } from '../analysis/stats/binomial.js';
import { CHECK_ALPHA } from '../analysis/bounds.js';
import type { Experiment, PhaseName, ToleranceSpec } from './model.js';

const PHASES: PhaseName[] = ['before', 'during', 'after'];

/**
 * Before anything runs: which checks can never reach a decision with the phases, ticks and rates the
 * experiment declares, even if the system is perfect (no error, steady latency)? Only checks on load
 * probes can be predicted (their rate is known). Each warning says what would be enough.
 */
export function decidabilityWarnings(e: Experiment): string[] {
  const out: string[] = [];
  const m = Math.max(1, countComparisons(e.hypothesis.tolerances, PHASES));
  for (const t of e.hypothesis.tolerances) {
    const probe = e.hypothesis.probes.find((p) => p.name === t.probe);
    if (!probe || probe.type !== 'load') continue;
    const attrs = probe.attrs as LoadAttrs;
    for (const phase of t.phases) {
      const seconds = e.phases[phase] / 1000;
      const why = check(t, attrs, seconds, e.phases.tick, m);
      if (why) out.push(`"${t.text}" cannot decide in the ${phase} phase (${formatSeconds(seconds)}): ${why}`);
      const fragile = why ? undefined : allOrNothing(t, attrs, seconds);
      if (fragile) out.push(`"${t.text}" decides in the ${phase} phase (${formatSeconds(seconds)}) only if not one request fails: ${fragile}`);
    }
  }
  return [...new Set(out)];
}

function check(t: ToleranceSpec, a: LoadAttrs, seconds: number, tickMs: number, comparisons: number): string | undefined {
  if (t.kind === 'absolute' || t.kind === 'relative') {
    const requests = a.rate * cohortShare(a, t.cohort) * seconds;
    const need = absoluteNeed(t);
    if (need !== undefined && requests < need) return `about ${Math.round(requests)} requests of the ${t.cohort ?? (a.cohort ? 'canary' : 'probe\'s')} cohort where at least ${need} are needed (a higher rate, a longer phase or a looser limit)`;
    return undefined;
  }
  if (t.kind !== 'canary-vs-control') return undefined;
  const alpha = t.alpha / comparisons;
  const requests = a.rate * Math.min(cohortShare(a, 'canary'), cohortShare(a, 'control')) * seconds;
  if (t.field.startsWith('errors')) {
    const allowance = t.allowance ?? DEFAULT_ERROR_ALLOWANCE;
    const need = allowance > 0 ? requestsToPass(t.margin, allowance, alpha) : Infinity;
    if (requests < Math.max(need, t.minSamples)) {
      return need === Infinity
        ? 'with no allowance, cohorts without errors can never show the canary within the factor (write one, like "+ 0.5%")'
        : `about ${Math.round(requests)} requests per cohort where about ${need} are needed to show, with no errors at all, that the canary is within the ${Math.round(allowance * 10000) / 100}% allowance (a higher rate, a longer phase or a larger allowance)`;
    }
    return undefined;
  }
  const intervals = Math.floor(seconds / (tickMs / 1000));
  if (intervals < t.minSamples) return `${intervals} interval(s) of ${tickMs} ms per cohort where ${t.minSamples} are needed (a longer phase or a shorter tick)`;
  const perInterval = a.rate * Math.min(cohortShare(a, 'canary'), cohortShare(a, 'control')) * (tickMs / 1000);
  if (t.field === 'latency.p99' && perInterval < 100) return `about ${Math.round(perInterval)} requests per interval and cohort: each interval's p99 is nearly its slowest request, too noisy to compare (compare p90 or p95, or lengthen the tick to hold 100)`;
  return undefined;
}

/**
 * The fewest requests per cohort with which two error-free cohorts pass the error check, found with
 * the check itself (the MOVER interval of the difference), so the estimate cannot drift from the test.
 */
function requestsToPass(factor: number, allowance: number, alpha: number): number {
  const passes = (n: number): boolean => errorRateMargin({
    canary: { errors: 0, requests: n }, control: { errors: 0, requests: n }, factor: Math.max(1, factor), allowance, alpha, minRequests: 1,
  }).decision === 'pass';
  let hi = 1;
  while (!passes(hi)) {
    if (hi > 1e9) return Infinity;
    hi *= 2;
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The share of the probe's requests a check's cohort gets (the canary's when it names none). */
function cohortShare(a: LoadAttrs, cohort: string | undefined): number {
  if (!a.cohort || cohort === 'all') return 1;
  if (cohort === 'control') return a.cohort.control;
  if (cohort === 'untouched') return Math.max(0, 1 - a.cohort.canary - a.cohort.control);
  return a.cohort.canary;
}

/**
 * An error-rate limit the phase's requests can show only when none of them fails: one stray error (a
 * reset, a timeout on a busy host) leaves the check inconclusive. Says how many requests would absorb
 * one, found with the bound the check itself uses (Wilson, one-sided CHECK_ALPHA).
 */
function allOrNothing(t: ToleranceSpec, a: LoadAttrs, seconds: number): string | undefined {
  if (t.kind !== 'absolute' || t.field !== 'errors.rate' || typeof t.value !== 'number' || !(t.value > 0) || (t.op !== '<' && t.op !== '<=')) return undefined;
  const limit = t.value;
  const requests = Math.floor(a.rate * cohortShare(a, t.cohort) * seconds);
  const passes = (errors: number, n: number): boolean => {
    const upper = wilsonInterval(errors, n, 1 - 2 * CHECK_ALPHA).upper;
    return t.op === '<' ? upper < limit : upper <= limit;
  };
  if (requests < 1 || !passes(0, requests) || passes(1, requests)) return undefined;
  let n = requests;
  while (!passes(1, n) && n < 1e9) n *= 2;
  let lo = Math.floor(n / 2);
  while (n - lo > 1) {
    const mid = Math.floor((lo + n) / 2);
    if (passes(1, mid)) n = mid;
    else lo = mid;
  }
  return `with about ${requests} requests, a single error leaves it inconclusive; about ${n} absorb one (a higher rate, a longer phase or a looser limit)`;
}

/** Requests needed before a check with a perfect system can pass: for a rate, none failing; for a percentile, its upper bound must exist. */
function absoluteNeed(t: Extract<ToleranceSpec, { kind: 'absolute' | 'relative' }>): number | undefined {
  if (t.field === 'errors.rate' && t.kind === 'absolute' && typeof t.value === 'number' && t.value > 0 && (t.op === '<' || t.op === '<=')) {
    return Math.ceil((1.645 * 1.645) / t.value);
  }
  const p = /^latency\.(p50|p90|p95|p99|p999)$/.exec(t.field);
  if (p && (t.op === '<' || t.op === '<=')) {
    const q = p[1] === 'p999' ? 0.999 : Number(p[1]!.slice(1)) / 100;
    return Math.ceil(Math.log(0.05) / Math.log(q));
  }
  return undefined;
}

function formatSeconds(s: number): string {
  return `${Math.round(s * 10) / 10}s`;
}
