import type { Status } from '../engine/journal.js';

/** Verdicts that decide whether resilience held: the rest (not-steady, failed, inconclusive, ...) lower coverage instead. */
export const DECIDED: readonly Status[] = ['held', 'deviated', 'aborted'];

export interface Score {
  /** Weighted share of decided experiments that held; null when none was decided. */
  value: number | null;
  held: number;
  decided: number;
  /** Weights behind `value`. */
  heldWeight: number;
  decidedWeight: number;
  coverage: { decided: number; all: number };
  /** Experiments not decided in this run, nor within the staleness window before it. */
  stale: number;
  /** `7/9 held (0.82), coverage 9/10, 1 stale` */
  text: string;
}

export interface ScoredOutcome {
  path: string;
  weight: number;
  /** Undefined when the experiment did not run. */
  status?: Status;
}

/**
 * A suite run's resilience score: the weighted share of its decided experiments that held, always
 * with coverage (decided of all) and staleness beside it. An experiment that could not be judged
 * (not-steady, failed, inconclusive, skipped) counts toward neither held nor failed: it lowers
 * coverage. So adding a failing experiment can only lower the score, and adding an undecidable one
 * cannot move it.
 */
export function scoreOf(outcomes: readonly ScoredOutcome[], opts: { lastDecidedAt?: (path: string) => number | undefined; now?: number; staleAfterMs?: number } = {}): Score {
  const now = opts.now ?? Date.now();
  const staleAfter = opts.staleAfterMs ?? 30 * 86_400_000;
  let held = 0;
  let decided = 0;
  let heldWeight = 0;
  let decidedWeight = 0;
  let stale = 0;
  for (const o of outcomes) {
    if (o.status && DECIDED.includes(o.status)) {
      decided++;
      decidedWeight += o.weight;
      if (o.status === 'held') {
        held++;
        heldWeight += o.weight;
      }
      continue;
    }
    const last = opts.lastDecidedAt?.(o.path);
    if (last === undefined || now - last > staleAfter) stale++;
  }
  const value = decidedWeight > 0 ? heldWeight / decidedWeight : null;
  const text = `${held}/${decided} held${value === null ? '' : ` (${value.toFixed(2)})`}, coverage ${decided}/${outcomes.length}${stale ? `, ${stale} stale` : ''}`;
  return { value, held, decided, heldWeight, decidedWeight, coverage: { decided, all: outcomes.length }, stale, text };
}
