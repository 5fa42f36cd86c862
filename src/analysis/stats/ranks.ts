/** Ranks with ties: average ranks, as SciPy's `rankdata` and R's `rank` give by default. */

export interface Ranked {
  /** 1-based average ranks in input order. */
  ranks: number[];
  /** Σ (t³ - t) over tie groups, the term the tie-corrected variance subtracts. */
  tieTerm: number;
  /** Whether any two values are equal. */
  hasTies: boolean;
}

export function rankWithTies(values: readonly number[]): Ranked {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(n);
  let tieTerm = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const t = j - i + 1;
    const average = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]!] = average;
    if (t > 1) tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { ranks, tieTerm, hasTies: tieTerm > 0 };
}

/** Σ (t³ - t) over the tie groups within one sample. */
export function tieTermOf(values: readonly number[]): number {
  return rankWithTies(values).tieTerm;
}
