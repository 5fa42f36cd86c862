import type { ToxicCohort } from '../types.js';

export const TOXIC_COHORTS: readonly ToxicCohort[] = ['canary', 'control', 'all'];

/** Checks that `attrs[name]`, when present (or when required), is a finite number within bounds. */
export function checkNumber(
  attrs: Record<string, unknown>,
  name: string,
  opts: { required?: boolean; min?: number; max?: number; integer?: boolean } = {},
): string | undefined {
  const v = attrs[name];
  if (v === undefined) return opts.required ? `attribute "${name}" is required` : undefined;
  const min = opts.min ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `attribute "${name}" must be a number`;
  if (opts.integer && !Number.isInteger(v)) return `attribute "${name}" must be an integer`;
  if (v < min) return `attribute "${name}" must be >= ${min}`;
  if (opts.max !== undefined && v > opts.max) return `attribute "${name}" must be <= ${opts.max}`;
  return undefined;
}

export function checkCohort(attrs: Record<string, unknown>): string | undefined {
  const v = attrs.cohort;
  if (v === undefined || (typeof v === 'string' && (TOXIC_COHORTS as readonly string[]).includes(v))) return undefined;
  return `attribute "cohort" must be one of ${TOXIC_COHORTS.map((c) => `"${c}"`).join(', ')}`;
}

/** Refuses attribute names a toxic does not know (catches typos such as `latancy`). */
export function checkKnown(attrs: Record<string, unknown>, known: readonly string[]): string | undefined {
  const extra = Object.keys(attrs).filter((k) => k !== 'cohort' && !known.includes(k));
  return extra.length > 0 ? `unknown attribute(s) ${extra.map((k) => `"${k}"`).join(', ')} (known: ${[...known, 'cohort'].join(', ')})` : undefined;
}

/** A number attribute with a fallback, for attributes already validated. */
export function num(attrs: Record<string, unknown>, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function firstError(...errors: (string | undefined)[]): string | undefined {
  return errors.find((e) => e !== undefined);
}
