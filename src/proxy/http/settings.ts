import { parseStickyKey } from '../../cohort/sticky.js';
import type { CohortSettings } from './types.js';

const KNOWN_KEYS = new Set(['mode', 'key', 'canary', 'control', 'salt']);

/**
 * Validates a proxy's `cohort` settings from the API. `control` defaults to the canary share, so the
 * two cohorts are measured side by side at equal size.
 */
export function parseCohortSettings(raw: unknown): { value?: CohortSettings; error?: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { error: 'cohort must be an object with key, canary, control and salt' };
  }
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) return { error: `cohort has unknown field(s): ${unknown.join(', ')}` };
  if (obj.mode !== undefined && obj.mode !== 'http') return { error: `cohort.mode must be "http", got ${JSON.stringify(obj.mode)}` };
  if (typeof obj.key !== 'string' || parseStickyKey(obj.key) === undefined) {
    return { error: 'cohort.key must be "header:<name>", "cookie:<name>" or "client-address"' };
  }
  const canary = shareOf(obj.canary);
  if (canary === undefined) return { error: 'cohort.canary must be a fraction between 0 and 1 (or a percentage like "5%")' };
  const control = obj.control === undefined ? canary : shareOf(obj.control);
  if (control === undefined) return { error: 'cohort.control must be a fraction between 0 and 1 (or a percentage like "5%")' };
  if (canary + control > 1 + 1e-9) return { error: `cohort.canary + cohort.control must not exceed 1 (got ${canary + control})` };
  if (typeof obj.salt !== 'string' || obj.salt.length === 0) return { error: 'cohort.salt must be a non-empty string' };
  return { value: { mode: 'http', key: obj.key, canary, control, salt: obj.salt } };
}

// A share is a number 0..1 or a percentage string; a bare number above 1 is refused as ambiguous.
function shareOf(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 && raw <= 1 ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw);
  if (!m) return undefined;
  const f = Number(m[1]) / 100;
  return f <= 1 ? f : undefined;
}
