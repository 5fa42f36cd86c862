/**
 * Order statistics of the n1·n2 pairwise differences x_i - y_j, which the Hodges-Lehmann estimate and
 * its interval are read from. Small problems sort all differences; large ones select without building
 * them (selection in X + Y, Johnson & Mizoguchi 1978, in the style of Monahan 1984): the differences
 * form a matrix sorted along rows and columns, and each round counts the entries below a pivot (the
 * weighted median of the row medians) in O(n1 + n2), discarding roughly a quarter or more of the candidates.
 */

/** Above this many pairs the differences are selected rather than sorted. */
export const MATERIALIZE_LIMIT = 250_000;

/** The order statistics (1-based ranks `ks`) of all x_i - y_j. */
export function pairwiseDifferenceOrderStatistics(x: readonly number[], y: readonly number[], ks: readonly number[]): number[] {
  const total = x.length * y.length;
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1 || k > total) throw new RangeError(`order statistic ${k} is outside 1..${total}`);
  }
  if (total <= MATERIALIZE_LIMIT) {
    const diffs = new Float64Array(total);
    let at = 0;
    for (const xi of x) for (const yj of y) diffs[at++] = xi - yj;
    diffs.sort();
    return ks.map((k) => diffs[k - 1]!);
  }
  const xs = Float64Array.from(x).sort();
  const yd = Float64Array.from(y).sort().reverse();
  return ks.map((k) => selectDifference(xs, yd, k));
}

/** The median of all x_i - y_j (the mean of the two middle ones when n1·n2 is even). */
export function medianPairwiseDifference(x: readonly number[], y: readonly number[]): number {
  const total = x.length * y.length;
  if (total % 2 === 1) return pairwiseDifferenceOrderStatistics(x, y, [(total + 1) / 2])[0]!;
  const [a, b] = pairwiseDifferenceOrderStatistics(x, y, [total / 2, total / 2 + 1]);
  return (a! + b!) / 2;
}

const GATHER_LIMIT = 50_000;

// xs ascending, yd descending: row i (xs[i] - yd[j]) rises with j, column j rises with i.
function selectDifference(xs: Float64Array, yd: Float64Array, k: number): number {
  const m = xs.length;
  const n = yd.length;
  const left = new Int32Array(m);
  const right = new Int32Array(m).fill(n);
  const lt = new Int32Array(m);
  const le = new Int32Array(m);
  for (;;) {
    let candidates = 0;
    let eliminatedLeft = 0;
    for (let i = 0; i < m; i++) {
      candidates += right[i]! - left[i]!;
      eliminatedLeft += left[i]!;
    }
    if (candidates <= GATHER_LIMIT) {
      const rest = new Float64Array(candidates);
      let at = 0;
      for (let i = 0; i < m; i++) for (let j = left[i]!; j < right[i]!; j++) rest[at++] = xs[i]! - yd[j]!;
      rest.sort();
      return rest[k - eliminatedLeft - 1]!;
    }
    const pivot = weightedMedianOfRowMedians(xs, yd, left, right, candidates);
    countBelow(xs, yd, pivot, lt, le);
    let countLt = 0;
    let countLe = 0;
    for (let i = 0; i < m; i++) {
      countLt += lt[i]!;
      countLe += le[i]!;
    }
    if (k <= countLt) {
      for (let i = 0; i < m; i++) right[i] = Math.min(right[i]!, lt[i]!);
    } else if (k <= countLe) {
      return pivot;
    } else {
      for (let i = 0; i < m; i++) left[i] = Math.max(left[i]!, le[i]!);
    }
  }
}

function weightedMedianOfRowMedians(xs: Float64Array, yd: Float64Array, left: Int32Array, right: Int32Array, candidates: number): number {
  const rows: { value: number; weight: number }[] = [];
  for (let i = 0; i < xs.length; i++) {
    const weight = right[i]! - left[i]!;
    if (weight > 0) rows.push({ value: xs[i]! - yd[(left[i]! + right[i]!) >> 1]!, weight });
  }
  rows.sort((a, b) => a.value - b.value);
  let seen = 0;
  for (const row of rows) {
    seen += row.weight;
    if (2 * seen >= candidates) return row.value;
  }
  return rows[rows.length - 1]!.value;
}

// lt[i] = #{j : xs[i] - yd[j] < pivot}, le[i] = #{j : xs[i] - yd[j] <= pivot}; both fall as i rises.
function countBelow(xs: Float64Array, yd: Float64Array, pivot: number, lt: Int32Array, le: Int32Array): void {
  let jLt = yd.length;
  let jLe = yd.length;
  for (let i = 0; i < xs.length; i++) {
    const xi = xs[i]!;
    while (jLt > 0 && !(xi - yd[jLt - 1]! < pivot)) jLt--;
    while (jLe > 0 && !(xi - yd[jLe - 1]! <= pivot)) jLe--;
    lt[i] = jLt;
    le[i] = jLe;
  }
}
