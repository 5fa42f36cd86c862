import { strict as assert } from 'node:assert';
import { collectIssues } from '../../../src/experiment/issues.js';
import type { FaultType } from '../../../src/faults/types.js';
import type { ValueProbeType } from '../../../src/probes/types.js';

/** A fault's or probe's attributes parsed from raw input, which must be valid. */
export function parsedAttrs<A>(type: Pick<FaultType<A, any, any>, 'parse'> | Pick<ValueProbeType<A, any>, 'parse'>, raw: Record<string, unknown> = {}): A {
  const issues = collectIssues();
  const a = type.parse(raw, issues);
  assert.deepEqual(issues.issues, []);
  return a!;
}

/** The problems a parse reports, as `path: message` lines. */
export function parseProblems(type: { parse(raw: Record<string, unknown>, issues: ReturnType<typeof collectIssues>): unknown }, raw: Record<string, unknown>): string[] {
  const issues = collectIssues();
  const a = type.parse(raw, issues);
  if (issues.issues.length === 0) assert.ok(a !== undefined);
  return issues.issues.map((i) => `${i.path}: ${i.message}`);
}
