/** Corrections for testing several signals at once (each returns adjusted p-values in input order). */

function checkPValues(pValues: readonly number[]): void {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`pValues[${i}] must be in [0, 1], got ${p}`);
  });
}

/** Bonferroni: p · m, capped at 1. */
export function bonferroni(pValues: readonly number[]): number[] {
  checkPValues(pValues);
  const m = pValues.length;
  return pValues.map((p) => Math.min(1, p * m));
}

/**
 * Holm-Bonferroni step-down (Holm 1979): the i-th smallest p-value is multiplied by (m - i + 1), then
 * made non-decreasing along the sorted order; as R's `p.adjust(method = "holm")`.
 */
export function holm(pValues: readonly number[]): number[] {
  checkPValues(pValues);
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]! || a - b);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}
