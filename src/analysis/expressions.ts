import { parseDuration } from '../util/duration.js';
import type { AbortSpec, CohortSel, Comparison, PhaseName, ToleranceSpec } from '../experiment/model.js';
import type { IssueSink } from '../experiment/issues.js';

/*
 * The tolerance language, one rule per string:
 *   shop.latency.p99 < 250ms                      absolute (cohort defaults to canary, or all without cohorts)
 *   shop.errors.rate control < 1%                 absolute, on a named cohort
 *   shop.latency.p99 <= 1.3x before               relative to the before phase, same cohort
 *   shop.latency.p99 canary <= 1.2x control       canary vs control: rank test with a practical margin
 *   health.status == 200 / health.stdout contains "ok" / health.body matches /ready/
 * Stop conditions add `min N` (at least N errors or requests seen) and `for N ticks`:
 *   shop.errors.rate > 20% min 20
 *   shop.latency.p99 > 5x control for 2 ticks
 *   sequential shop.errors alpha 0.01 min 10
 */

const HEAD = String.raw`^\s*(?<probe>[A-Za-z_][\w-]*)\.(?<field>[A-Za-z_][\w.-]*?)(?:\s+(?<cohort>canary|control|untouched|all))?\s*`;
const COMPARE = new RegExp(`${HEAD}(?<op><=|>=|==|!=|<|>)\\s*(?<rhs>.+?)\\s*$`);
const TEXT = new RegExp(`${HEAD}(?<neg>not\\s+)?(?<verb>contains|matches)\\s+(?<rhs>.+?)\\s*$`);
const SUFFIX = /\s+(?:min\s+(?<min>\d+)|for\s+(?<ticks>\d+)\s+ticks?)\s*$/;
const SEQUENTIAL = /^\s*sequential\s+(?<probe>[A-Za-z_][\w-]*)\.(?<signal>errors|latency)(?<rest>(?:\s+(?:alpha\s+[\d.]+|min\s+\d+))*)\s*$/;

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
  const ratio = /^(?<factor>\d+(?:\.\d+)?)\s*x\s+(?<base>before|control)$/.exec(rhs!);
  if (ratio?.groups) {
    const factor = Number(ratio.groups.factor);
    if (ratio.groups.base === 'control') {
      if (op !== '<=' && op !== '>=') {
        issues.add('', `a canary-vs-control tolerance compares with <= or >=, got "${op}"`);
        return undefined;
      }
      if (cohort && cohort !== 'canary') {
        issues.add('', `a canary-vs-control tolerance is about the canary, got cohort "${cohort}"`);
        return undefined;
      }
      return {
        kind: 'canary-vs-control', text, probe: probe!, field: field!, op, margin: factor,
        alpha: opts.alpha ?? 0.05, minSamples: opts.minSamples ?? 8, phases: opts.phases ?? ['during', 'after'],
      };
    }
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
    return { kind: 'sequential', text, probe: seq.groups.probe!, signal: seq.groups.signal as 'errors' | 'latency', alpha, minErrors: min };
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
    issues.add('', `cannot read stop condition "${text}"`, 'like "shop.errors.rate > 20% min 20", "shop.latency.p99 > 5x control for 2 ticks", "sequential shop.errors alpha 0.01"');
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
