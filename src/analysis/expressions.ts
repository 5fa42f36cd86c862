import { parseDuration } from '../util/duration.js';
import type { AbortSpec, CohortSel, Comparison, PhaseName, ToleranceSpec } from '../experiment/model.js';
import type { IssueSink } from '../experiment/issues.js';

/*
 * The tolerance language, one rule per string:
 *   shop.latency.p99 < 250ms                      absolute (cohort defaults to canary, or all without cohorts)
 *   shop.errors.rate control < 1%                 absolute, on a named cohort
 *   shop.latency.p99 <= 1.3x before               relative to the before phase, same cohort
 *   shop.latency.p99 canary <= 1.2x control       canary vs control: rank test with a practical margin
 *   shop.latency.p99 canary <= control + 150ms    canary vs control with an additive allowance
 *   shop.errors.rate canary <= 1.5x control + 0.5%  errors: ratio and difference intervals
 *   health.status == 200 / health.stdout contains "ok" / health.body matches /ready/
 * Stop conditions add `min N` (at least N errors or requests seen) and `for N ticks`:
 *   shop.errors.rate > 20% min 20
 *   shop.latency.p99 > 5x control for 2 ticks
 *   sequential shop.errors alpha 0.01 min 10
 *   sequential shop.latency > 300ms               slow means slower than an SLO (or "> 2x before")
 */

const HEAD = String.raw`^\s*(?<probe>[A-Za-z_][\w-]*)\.(?<field>[A-Za-z_][\w.-]*?)(?:\s+(?<cohort>canary|control|untouched|all))?\s*`;
const COMPARE = new RegExp(`${HEAD}(?<op><=|>=|==|!=|<|>)\\s*(?<rhs>.+?)\\s*$`);
const TEXT = new RegExp(`${HEAD}(?<neg>not\\s+)?(?<verb>contains|matches)\\s+(?<rhs>.+?)\\s*$`);
const SUFFIX = /\s+(?:min\s+(?<min>\d+)|for\s+(?<ticks>\d+)\s+ticks?)\s*$/;
const SEQUENTIAL = /^\s*sequential\s+(?<probe>[A-Za-z_][\w-]*)\.(?<signal>errors|latency)(?:\s*>\s*(?<slow>\d+(?:\.\d+)?\s*x\s+before|[\d.]+\s*[a-zµ]+))?(?<rest>(?:\s+(?:alpha\s+[\d.]+|min\s+\d+))*)\s*$/;
const VS_CONTROL = /^(?:(?<factor>\d+(?:\.\d+)?)\s*x\s+)?control(?:\s*(?<sign>[+-])\s*(?<allowance>.+))?$/;

export interface ToleranceOptions {
  phases?: PhaseName[];
  alpha?: number;
  minSamples?: number;
}

export const TOLERANCE_FORMS = 'like "shop.latency.p99 < 250ms", "shop.latency.p99 <= 1.3x before", "shop.latency.p99 canary <= 1.2x control", "health.status == 200"';

/** Parses one hypothesis tolerance; reports into `issues` and returns undefined when it cannot. */
export function parseTolerance(text: string, opts: ToleranceOptions, issues: IssueSink): ToleranceSpec | undefined {
  const t = TEXT.exec(text);
  if (t?.groups) {
    const { probe, field, neg, verb, rhs } = t.groups as Record<string, string>;
    const value = unquote(rhs!);
    if (verb === 'matches') {
      try {
        new RegExp(stripSlashes(value));
      } catch {
        issues.add('', `"${rhs}" is not a valid regular expression`);
        return undefined;
      }
    }
    return { kind: verb as 'contains' | 'matches', text, probe: probe!, field: field!, value: verb === 'matches' ? stripSlashes(value) : value, negate: Boolean(neg), phases: opts.phases ?? ['before', 'during', 'after'] };
  }
  const m = COMPARE.exec(text);
  if (!m?.groups) {
    issues.add('', `cannot read tolerance "${text}"`, TOLERANCE_FORMS);
    return undefined;
  }
  const { probe, field, cohort, op, rhs } = m.groups as Record<string, string | undefined>;
  const vs = VS_CONTROL.exec(rhs!);
  if (vs?.groups) return parseVsControl(text, { probe: probe!, field: field!, cohort, op: op! }, vs.groups, opts, issues);
  const ratio = /^(?<factor>\d+(?:\.\d+)?)\s*x\s+before$/.exec(rhs!);
  if (ratio?.groups) {
    const factor = Number(ratio.groups.factor);
    return { kind: 'relative', text, probe: probe!, field: field!, ...(cohort ? { cohort: cohort as CohortSel } : {}), op: op as Comparison, factor, phases: opts.phases ?? ['during', 'after'] };
  }
  const value = parseValue(rhs!);
  if (value === undefined) {
    issues.add('', `cannot read the value "${rhs}" in "${text}"`, 'a number, a duration (250ms), a percentage (1%), a rate (95/s), a quoted string, true or false');
    return undefined;
  }
  return {
    kind: 'absolute', text, probe: probe!, field: field!, ...(cohort ? { cohort: cohort as CohortSel } : {}), op: op as Comparison,
    value: value.value, ...(value.unit ? { unit: value.unit } : {}), phases: opts.phases ?? ['before', 'during', 'after'],
  };
}

/** Default number of canary-vs-control values (intervals, or requests for errors) per cohort. */
export const DEFAULT_MIN_SAMPLES = 8;

/**
 * `canary <= 1.2x control`, `canary <= control + 150ms`, `canary <= 1.5x control + 0.5%`, and for
 * higher-is-better fields `canary >= 0.9x control - 10/s`. The margin may only make room for the
 * canary to be worse: a factor of at least 1 (at most 1 for >=), an allowance added (subtracted for >=).
 */
function parseVsControl(
  text: string,
  head: { probe: string; field: string; cohort: string | undefined; op: string },
  g: Record<string, string | undefined>,
  opts: ToleranceOptions,
  issues: IssueSink,
): ToleranceSpec | undefined {
  const { op, cohort } = head;
  if (op !== '<=' && op !== '>=') {
    issues.add('', `a canary-vs-control tolerance compares with <= or >=, got "${op}"`);
    return undefined;
  }
  if (cohort && cohort !== 'canary') {
    issues.add('', `a canary-vs-control tolerance is about the canary, got cohort "${cohort}"`);
    return undefined;
  }
  const factor = g.factor === undefined ? 1 : Number(g.factor);
  if (op === '<=' && factor < 1) {
    issues.add('', `"${g.factor}x control" with <= would require the canary to be better than the control; the factor makes room for it to be worse`, 'a factor of at least 1, like 1.2x control, or an allowance like control + 50ms');
    return undefined;
  }
  if (op === '>=' && !(factor > 0 && factor <= 1)) {
    issues.add('', `"${g.factor}x control" with >= would require the canary to be better than the control; the factor makes room for it to be worse`, 'a factor above 0 and at most 1, like 0.9x control');
    return undefined;
  }
  let allowance: number | undefined;
  if (g.sign !== undefined) {
    if ((op === '<=') !== (g.sign === '+')) {
      issues.add('', `with ${op} the allowance is ${op === '<=' ? 'added (control + ...)' : 'subtracted (control - ...)'}: it makes room for the canary to be worse`);
      return undefined;
    }
    const v = parseValue(g.allowance!);
    if (v === undefined || typeof v.value !== 'number' || v.value < 0) {
      issues.add('', `cannot read the allowance "${g.allowance}" in "${text}"`, 'a duration (150ms), a percentage (0.5%) or a rate (10/s)');
      return undefined;
    }
    allowance = v.value;
  }
  if (factor === 1 && allowance === undefined && !head.field.startsWith('errors')) {
    issues.add('', `"${text}" leaves no margin at all: any difference, even noise, would fail it`, 'a factor like 1.2x control or an allowance like control + 50ms');
    return undefined;
  }
  return {
    kind: 'canary-vs-control', text, probe: head.probe, field: head.field, op, margin: factor, ...(allowance !== undefined ? { allowance } : {}),
    alpha: opts.alpha ?? 0.05, minSamples: opts.minSamples ?? DEFAULT_MIN_SAMPLES, phases: opts.phases ?? ['during', 'after'],
  };
}

/** Parses one stop condition. */
export function parseAbort(text: string, issues: IssueSink): AbortSpec | undefined {
  const seq = SEQUENTIAL.exec(text);
  if (seq?.groups) {
    const rest = seq.groups.rest ?? '';
    const alpha = Number(/alpha\s+([\d.]+)/.exec(rest)?.[1] ?? 0.01);
    const min = Number(/min\s+(\d+)/.exec(rest)?.[1] ?? 10);
    if (!(alpha > 0 && alpha < 0.5)) {
      issues.add('', `alpha must be between 0 and 0.5, got ${alpha}`);
      return undefined;
    }
    const signal = seq.groups.signal as 'errors' | 'latency';
    let slowerThan: { ms: number } | { beforeFactor: number } | undefined;
    const slow = seq.groups.slow;
    if (slow !== undefined) {
      if (signal !== 'latency') {
        issues.add('', 'only "sequential <probe>.latency" takes a threshold ("> 300ms" or "> 2x before")');
        return undefined;
      }
      const factor = /^(\d+(?:\.\d+)?)\s*x\s+before$/.exec(slow);
      const ms = factor ? undefined : parseValue(slow);
      if (factor && Number(factor[1]) > 0) slowerThan = { beforeFactor: Number(factor[1]) };
      else if (ms?.unit === 'ms' && typeof ms.value === 'number' && ms.value > 0) slowerThan = { ms: ms.value };
      else {
        issues.add('', `cannot read the slow-request threshold "${slow}"`, 'a duration like 300ms (an SLO) or a multiple of the before phase like 2x before');
        return undefined;
      }
    }
    return { kind: 'sequential', text, probe: seq.groups.probe!, signal, alpha, minErrors: min, ...(slowerThan ? { slowerThan } : {}) };
  }
  let body = text;
  let min: number | undefined;
  let ticks = 1;
  for (let s = SUFFIX.exec(body); s?.groups; s = SUFFIX.exec(body)) {
    if (s.groups.min) min = Number(s.groups.min);
    if (s.groups.ticks) ticks = Number(s.groups.ticks);
    body = body.slice(0, s.index);
  }
  if (ticks < 1) {
    issues.add('', 'for N ticks needs N >= 1');
    return undefined;
  }
  const m = COMPARE.exec(body);
  if (!m?.groups) {
    issues.add('', `cannot read stop condition "${text}"`, 'like "shop.errors.rate > 20% min 20", "shop.latency.p99 > 5x control for 2 ticks", "sequential shop.errors alpha 0.01", "sequential shop.latency > 300ms"');
    return undefined;
  }
  const { probe, field, cohort, op, rhs } = m.groups as Record<string, string | undefined>;
  if (op === '==' || op === '!=') {
    issues.add('', `a stop condition compares with <, <=, > or >=, got "${op}"`);
    return undefined;
  }
  const vs = /^(?<factor>\d+(?:\.\d+)?)\s*x\s+control$/.exec(rhs!);
  if (vs?.groups) {
    return { kind: 'guard-vs-control', text, probe: probe!, field: field!, op: op as '>' | '>=' | '<' | '<=', factor: Number(vs.groups.factor), ticks, ...(min !== undefined ? { min } : {}) };
  }
  const value = parseValue(rhs!);
  if (value === undefined || typeof value.value !== 'number') {
    issues.add('', `cannot read the value "${rhs}" in "${text}"`, 'a number, a duration, a percentage or "<N>x control"');
    return undefined;
  }
  return { kind: 'guard', text, probe: probe!, field: field!, ...(cohort ? { cohort: cohort as CohortSel } : {}), op: op as Comparison, value: value.value, ticks, ...(min !== undefined ? { min } : {}) };
}

/** `250ms` -> 250 (ms); `1%` -> 0.01; `95/s` -> 95; `200` -> 200; `"ok"` -> 'ok'; `true` -> true. */
export function parseValue(text: string): { value: number | string | boolean; unit?: 'ms' | 'ratio' | 'rate' } | undefined {
  const s = text.trim();
  if (/^(true|false)$/.test(s)) return { value: s === 'true' };
  if (/^(["']).*\1$/.test(s)) return { value: s.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(s)) return { value: Number(s) };
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (pct) return { value: Number(pct[1]) / 100, unit: 'ratio' };
  const rate = /^(\d+(?:\.\d+)?)\s*\/\s*s$/.exec(s);
  if (rate) return { value: Number(rate[1]), unit: 'rate' };
  const ms = parseDuration(s);
  if (ms !== undefined && /[a-zµ]$/.test(s)) return { value: ms, unit: 'ms' };
  return undefined;
}

export function compare(observed: number | string | boolean, op: Comparison, expected: number | string | boolean): boolean {
  switch (op) {
    case '<': return observed < expected;
    case '<=': return observed <= expected;
    case '>': return observed > expected;
    case '>=': return observed >= expected;
    case '==': return observed === expected || (typeof expected === 'number' && Number(observed) === expected);
    case '!=': return !(observed === expected || (typeof expected === 'number' && Number(observed) === expected));
  }
}

function unquote(s: string): string {
  return /^(["']).*\1$/.test(s.trim()) ? s.trim().slice(1, -1) : s.trim();
}

function stripSlashes(s: string): string {
  return /^\/.*\/$/.test(s) ? s.slice(1, -1) : s;
}
