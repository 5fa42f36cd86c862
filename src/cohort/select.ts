import { FirebreakError } from '../errors.js';
import type { TargetSelector } from '../drivers/types.js';
import type { Target } from '../faults/types.js';
import { matchesSelector } from './match.js';
import { randomInt, seededRandom, seededShuffle } from './seeded-random.js';

export { matchesSelector, compileNamePattern, imageMatches, GENERIC_SELECTOR_KEYS } from './match.js';

export type SelectionMode = 'one' | 'all' | 'fixed' | 'percent' | 'random-max-percent';
export const SELECTION_MODES: readonly SelectionMode[] = ['one', 'all', 'fixed', 'percent', 'random-max-percent'];

export interface SelectionSpec {
  mode: SelectionMode;
  /** `fixed`: how many targets (integer >= 1). `percent`, `random-max-percent`: a percentage, 0 < P <= 100. */
  value?: number;
  /** Same seed, same candidates: same selection. Defaults to DEFAULT_SEED. */
  seed?: string | number;
  /** Targets matching this are never selected (and not counted in the control). */
  protect?: TargetSelector;
  /** Refuse a canary larger than `count` targets or than `fraction` (0..1) of the matching targets. */
  maxBlastRadius?: { count?: number; fraction?: number };
  /** The driver's own matcher (its selector keys), for the selector and `protect`; the generic match otherwise. */
  matches?: (target: Target, selector: TargetSelector) => boolean;
}

export interface Selection {
  /** Targets that get the faults, sorted by id. */
  canary: Target[];
  /** Matching, unprotected targets left alone and measured side by side, sorted by id. */
  control: Target[];
  /** Matching targets excluded by the protect selector, sorted by id. */
  protected: Target[];
  /** How many candidates matched the selector (protected ones included). */
  considered: number;
  /** The seed the selection used, for the journal. */
  seed: string;
}

/** Used when a spec has no seed: a selection is then still repeatable, only not varied between runs. */
export const DEFAULT_SEED = 'firebreak';

/**
 * Chooses the canary cohort among `candidates`. Steps: keep the targets matching `selector`; move the
 * ones matching `spec.protect` aside (never selected); sort the rest by id and shuffle them with the
 * seed; take the first N, where N follows the mode:
 * - `one`: 1; `all`: every eligible target; `fixed`: `value`;
 * - `percent`: P% of the eligible targets rounded up, so at least 1 when P > 0;
 * - `random-max-percent`: a seeded random count between 1 and the `percent` count.
 * Then checks `maxBlastRadius`. Throws FIREBREAK_E_PLAN when nothing matches or nothing is eligible,
 * FIREBREAK_E_BLAST_RADIUS when the canary is too large, FIREBREAK_E_INVALID for a malformed spec.
 */
export function selectTargets(candidates: readonly Target[], spec: SelectionSpec, selector: TargetSelector): Selection {
  checkSpec(spec);
  const matches = spec.matches ?? matchesSelector;
  const matching = byId(candidates.filter((t) => matches(t, selector)));
  if (matching.length === 0) {
    throw new FirebreakError(
      'FIREBREAK_E_PLAN',
      `no target matched the selector ${JSON.stringify(selector)} (${candidates.length} candidate${candidates.length === 1 ? '' : 's'} listed)`,
      { details: { selector, candidates: candidates.length } },
    );
  }
  const protect = spec.protect;
  const isProtected = (t: Target): boolean => protect !== undefined && matches(t, protect);
  const shielded = matching.filter(isProtected);
  const eligible = matching.filter((t) => !isProtected(t));
  if (eligible.length === 0) {
    throw new FirebreakError(
      'FIREBREAK_E_PLAN',
      `all ${matching.length} target${matching.length === 1 ? '' : 's'} matching the selector are protected; nothing can be selected`,
      { details: { matching: matching.length, protected: shielded.length } },
    );
  }

  const seed = String(spec.seed ?? DEFAULT_SEED);
  const random = seededRandom(seed);
  const count = canaryCount(spec, eligible.length, random);
  const shuffled = seededShuffle(eligible, random);
  const canary = byId(shuffled.slice(0, count));
  const control = byId(shuffled.slice(count));
  checkBlastRadius(spec, canary.length, matching.length);
  return { canary, control, protected: shielded, considered: matching.length, seed };
}

/** How many of `eligible` targets the mode asks for. */
export function canaryCount(spec: SelectionSpec, eligible: number, random: () => number = seededRandom(String(spec.seed ?? DEFAULT_SEED))): number {
  switch (spec.mode) {
    case 'one':
      return 1;
    case 'all':
      return eligible;
    case 'fixed': {
      const n = spec.value!;
      if (n > eligible) {
        throw new FirebreakError('FIREBREAK_E_PLAN', `mode fixed ${n} asks for more targets than the ${eligible} eligible (matching and not protected)`);
      }
      return n;
    }
    case 'percent':
      return percentCount(spec.value!, eligible);
    case 'random-max-percent':
      return randomInt(random, 1, percentCount(spec.value!, eligible));
  }
}

/** P% of n, rounded up: at least 1 when P > 0, never more than n. */
export function percentCount(percent: number, n: number): number {
  if (percent <= 0 || n === 0) return 0;
  return Math.min(n, Math.max(1, Math.ceil((percent * n) / 100 - 1e-9)));
}

function checkSpec(spec: SelectionSpec): void {
  const bad = (why: string): never => {
    throw new FirebreakError('FIREBREAK_E_INVALID', `target selection: ${why}`);
  };
  if (!SELECTION_MODES.includes(spec.mode)) bad(`unknown mode "${String(spec.mode)}" (expected one of ${SELECTION_MODES.join(', ')})`);
  const v = spec.value;
  if (spec.mode === 'fixed' && (v === undefined || !Number.isInteger(v) || v < 1)) bad(`mode fixed needs an integer value >= 1, got ${String(v)}`);
  if ((spec.mode === 'percent' || spec.mode === 'random-max-percent') && (v === undefined || !Number.isFinite(v) || v <= 0 || v > 100)) {
    bad(`mode ${spec.mode} needs a percentage 0 < value <= 100, got ${String(v)}`);
  }
  const max = spec.maxBlastRadius;
  if (max?.count !== undefined && (!Number.isInteger(max.count) || max.count < 0)) bad(`maxBlastRadius.count must be an integer >= 0, got ${max.count}`);
  if (max?.fraction !== undefined && (!Number.isFinite(max.fraction) || max.fraction < 0 || max.fraction > 1)) {
    bad(`maxBlastRadius.fraction must be between 0 and 1, got ${max.fraction}`);
  }
}

function checkBlastRadius(spec: SelectionSpec, selected: number, matching: number): void {
  const max = spec.maxBlastRadius;
  if (!max) return;
  if (max.count !== undefined && selected > max.count) {
    throw new FirebreakError(
      'FIREBREAK_E_BLAST_RADIUS',
      `the selection would touch ${selected} target${selected === 1 ? '' : 's'} of ${matching} matching; maxBlastRadius.count allows at most ${max.count}`,
      { details: { selected, matching, maxCount: max.count } },
    );
  }
  if (max.fraction !== undefined) {
    const allowed = Math.floor(max.fraction * matching + 1e-9);
    if (selected > allowed) {
      const pct = ((100 * selected) / matching).toFixed(1).replace(/\.0$/, '');
      throw new FirebreakError(
        'FIREBREAK_E_BLAST_RADIUS',
        `the selection would touch ${selected} of ${matching} matching targets (${pct}%); maxBlastRadius.fraction ${max.fraction} allows at most ${allowed}`,
        { details: { selected, matching, maxFraction: max.fraction, allowed } },
      );
    }
  }
}

function byId(targets: readonly Target[]): Target[] {
  return [...targets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
