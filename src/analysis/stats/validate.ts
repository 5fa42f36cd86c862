/** Argument checks shared by the tests: a bad input is a RangeError naming the argument. */

export function checkSample(name: string, values: readonly number[], minLength = 1): void {
  if (!Array.isArray(values)) throw new RangeError(`${name} must be an array of numbers`);
  if (values.length < minLength) throw new RangeError(`${name} needs at least ${minLength} value(s), got ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${name}[${i}] is not a finite number: ${values[i]}`);
  }
}

export function checkProbability(name: string, p: number, { open = false } = {}): void {
  const ok = open ? p > 0 && p < 1 : p >= 0 && p <= 1;
  if (!ok) throw new RangeError(`${name} must be in ${open ? '(0, 1)' : '[0, 1]'}, got ${p}`);
}

export function checkCount(name: string, k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`${name} must be a non-negative integer, got ${k}`);
}

export type Alternative = 'two-sided' | 'greater' | 'less';

export function checkAlternative(alternative: string): asserts alternative is Alternative {
  if (alternative !== 'two-sided' && alternative !== 'greater' && alternative !== 'less') {
    throw new RangeError(`alternative must be 'two-sided', 'greater' or 'less', got ${alternative}`);
  }
}
