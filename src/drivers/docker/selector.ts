import { compileNamePattern } from '../../cohort/match.js';
import { FirebreakError } from '../../errors.js';
import { collectIssues, formatIssue, type IssueSink } from '../../experiment/issues.js';
import type { TargetSelector } from '../types.js';

/** Selector keys the Docker driver adds to the generic ones. */
export const DOCKER_SELECTOR_KEYS = ['composeProject', 'composeService', 'includeStopped'] as const;

/** Every key a Docker selector may have (the generic ones but `namespaces`, and the Docker ones). */
export const KNOWN_DOCKER_SELECTOR_KEYS = ['names', 'namePattern', 'labels', 'image', ...DOCKER_SELECTOR_KEYS] as const;

export interface DockerSelector extends TargetSelector {
  composeProject?: string;
  composeService?: string;
  /** Also list created, exited and dead containers (default: running and paused only). */
  includeStopped?: boolean;
}

const STRING_KEYS = ['namePattern', 'image', 'composeProject', 'composeService'] as const;

/**
 * Checks a Docker selector before anything runs: unknown keys (a typo must never widen a selection),
 * `namespaces` (containers have none), and the type of every value. Reports into `issues`, with the
 * key as the path.
 */
export function parseDockerSelector(raw: Record<string, unknown>, issues: IssueSink): void {
  const known: readonly string[] = KNOWN_DOCKER_SELECTOR_KEYS;
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (key === 'namespaces') {
      issues.add(key, 'containers have no namespaces', 'labels or composeProject');
    } else if (!known.includes(key)) {
      issues.add(key, `unknown selector key "${key}"`, `one of ${known.join(', ')}`);
    }
  }
  const names = raw.names;
  if (names !== undefined && (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== ''))) {
    issues.add('names', `must be a non-empty list of container names or ids, got ${JSON.stringify(names)}`, 'a list of strings');
  }
  for (const key of STRING_KEYS) {
    const v = raw[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) issues.add(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  if (typeof raw.namePattern === 'string' && raw.namePattern !== '') {
    try {
      compileNamePattern(raw.namePattern);
    } catch (err) {
      issues.add('namePattern', (err as Error).message.replace(/^namePattern /, ''), 'a glob like payments-* or a /regex/');
    }
  }
  const labels = raw.labels;
  if (labels !== undefined) {
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
      issues.add('labels', `must be a mapping of label names to values, got ${JSON.stringify(labels)}`);
    } else {
      for (const [k, v] of Object.entries(labels)) {
        if (typeof v !== 'string') issues.add('labels', `the value of "${k}" must be a string, got ${JSON.stringify(v)}`, 'a quoted value like "1"');
      }
    }
  }
  if (raw.includeStopped !== undefined && typeof raw.includeStopped !== 'boolean') {
    issues.add('includeStopped', `must be true or false, got ${JSON.stringify(raw.includeStopped)}`);
  }
}

/** The plan-time check of the same rules: a selector that got past validation some other way is refused. */
export function checkDockerSelector(selector: DockerSelector): void {
  const issues = collectIssues();
  parseDockerSelector(selector, issues);
  if (issues.issues.length) {
    throw new FirebreakError('FIREBREAK_E_INVALID', `docker selector: ${issues.issues.map((i) => formatIssue(i).replace(/^<input>: /, '')).join('; ')}`);
  }
}
