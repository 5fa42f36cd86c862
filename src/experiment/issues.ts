import { didYouMean } from '../util/suggest.js';
import { scrub } from '../log.js';

/** One validation problem, with where it is. Validation collects all of them before reporting. */
export interface Issue {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted field path, e.g. `faults[1].latency`. */
  path: string;
  message: string;
  /** What was expected, shown in parentheses. */
  expected?: string;
}

/**
 * Collects issues for one document. `at(path)` returns a child sink whose paths are prefixed, so a
 * driver validating its own attributes reports `faults[2].rate` without knowing where it sits.
 */
export interface IssueSink {
  add(path: string, message: string, expected?: string): void;
  at(prefix: string): IssueSink;
  readonly count: number;
}

/** `file:line:column: path: message (expected ...)`, with secret values redacted. */
export function formatIssue(i: Issue): string {
  const where = [i.file ?? '<input>', i.line, i.column].filter((x) => x !== undefined).join(':');
  const path = i.path || (i.message.startsWith('syntax error') ? '' : '(root)');
  return scrub(`${where}: ${path ? `${path}: ` : ''}${i.message}${i.expected ? ` (expected ${i.expected})` : ''}`);
}

/** A plain sink for code that validates outside a document (CLI flags, library calls). */
export function collectIssues(): IssueSink & { issues: Issue[] } {
  const issues: Issue[] = [];
  const make = (prefix: string): IssueSink => ({
    add(path, message, expected) {
      issues.push({ path: joinPath(prefix, path), message, ...(expected ? { expected } : {}) });
    },
    at(p) {
      return make(joinPath(prefix, p));
    },
    get count() {
      return issues.length;
    },
  });
  return Object.assign(make(''), { issues });
}

/** Joins field paths: `faults[1]` + `latency` -> `faults[1].latency`; `faults` + `[1]` -> `faults[1]`. */
export function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** Reports the fields of a mapping that are not among `known`, suggesting the one probably meant. */
export function rejectUnknownFields(data: Record<string, unknown>, known: readonly string[], issues: IssueSink): void {
  for (const k of Object.keys(data)) if (!known.includes(k)) issues.add(k, `unknown field "${k}"${didYouMean(k, known)}`, `one of ${known.join(', ')}`);
}
