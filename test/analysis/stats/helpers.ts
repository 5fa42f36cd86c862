import { strict as assert } from 'node:assert';

/** Asserts |actual - expected| <= tolerance · max(1e-300, |expected|) (relative), or absolute when asked. */
export function assertClose(actual: number, expected: number, tolerance: number, { absolute = false } = {}): void {
  if (expected === actual) return;
  const scale = absolute ? 1 : Math.max(1e-300, Math.abs(expected));
  assert.ok(
    Number.isFinite(actual) && Math.abs(actual - expected) <= tolerance * scale,
    `expected ${expected}, got ${actual} (${absolute ? 'absolute' : 'relative'} tolerance ${tolerance})`,
  );
}
