import { parseDuration, timerProblem } from '../../util/duration.js';
import type { IssueSink } from '../../experiment/issues.js';
import { didYouMean } from '../../util/suggest.js';
import type { AttributeDoc } from '../../experiment/attributes.js';

/** Small readers for driver attributes: each reports a precise issue and returns undefined on error. */
export function readString(attrs: Record<string, unknown>, key: string, issues: IssueSink, required = false): string | undefined {
  const v = attrs[key];
  if (v === undefined) {
    if (required) issues.add(key, 'is required', 'a string');
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0) {
    issues.add(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

export function readCommand(attrs: Record<string, unknown>, key: string, issues: IssueSink, required = false): string | string[] | undefined {
  const v = attrs[key];
  if (v === undefined) {
    if (required) issues.add(key, 'is required', 'a shell command string or an argv array');
    return undefined;
  }
  if (typeof v === 'string' && v.trim()) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  issues.add(key, `must be a command, got ${JSON.stringify(v)}`, 'a shell command string or an argv array');
  return undefined;
}

export function readDuration(attrs: Record<string, unknown>, key: string, issues: IssueSink, fallback?: number): number | undefined {
  const v = attrs[key];
  if (v === undefined) return fallback;
  const ms = parseDuration(v);
  if (ms === undefined) issues.add(key, `is not a duration: ${JSON.stringify(v)}`, 'like 250ms, 30s, 2m');
  const tooLong = ms === undefined ? undefined : timerProblem(ms);
  if (tooLong) {
    issues.add(key, `${tooLong}: ${JSON.stringify(v)}`);
    return undefined;
  }
  return ms;
}

export function readNumber(
  attrs: Record<string, unknown>,
  key: string,
  issues: IssueSink,
  opts: { min?: number; max?: number; integer?: boolean; fallback?: number; required?: boolean } = {},
): number | undefined {
  const v = attrs[key];
  if (v === undefined) {
    if (opts.required) issues.add(key, 'is required', 'a number');
    return opts.fallback;
  }
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  const range = `a${opts.integer ? 'n integer' : ' number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`;
  if (typeof n !== 'number' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    issues.add(key, `must be ${range}, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return n;
}

export function readStringMap(attrs: Record<string, unknown>, key: string, issues: IssueSink): Record<string, string> | undefined {
  const v = attrs[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    issues.add(key, 'must be a mapping of names to strings');
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'object' && x !== null) issues.add(`${key}.${k}`, 'must be a string');
    else out[k] = String(x);
  }
  return out;
}

/** Reports attributes the type does not declare (typos are the commonest mistake). */
export function rejectUnknown(attrs: Record<string, unknown>, declared: readonly AttributeDoc[] | readonly string[], issues: IssueSink): void {
  const known = declared.map((d) => (typeof d === 'string' ? d : d.name));
  for (const k of Object.keys(attrs)) {
    if (!known.includes(k)) issues.add(k, `unknown attribute "${k}"${didYouMean(k, known)}`, `one of ${known.join(', ')}`);
  }
}
