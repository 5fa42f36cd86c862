import { createHash } from 'node:crypto';
import type { CohortName } from '../signals/types.js';

/**
 * Sticky traffic cohorts. A key (user id, cookie, client address) is hashed with a per-experiment
 * salt into a bucket in [0, 1): [0, canary) is the canary, [canary, canary + control) the control,
 * the rest untouched. The same key and salt always land in the same bucket, on every process that
 * uses this function (the proxy, the load generator, reports).
 */
export function bucketOf(key: string, salt: string): number {
  const digest = createHash('sha256').update(salt).update('\u0000').update(key).digest();
  // 48 bits are plenty of resolution and stay exact in a double.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export interface TrafficShares {
  /** Fraction 0..1 of keys in the canary cohort. */
  canary: number;
  /** Fraction 0..1 of keys in the control cohort. */
  control: number;
}

export function cohortOf(key: string, salt: string, shares: TrafficShares): CohortName {
  const b = bucketOf(key, salt);
  if (b < shares.canary) return 'canary';
  if (b < shares.canary + shares.control) return 'control';
  return 'untouched';
}

/** Where the sticky key is read from: `header:x-user-id`, `cookie:session`, `client-address`. */
export type StickyKeySource =
  | { from: 'header'; name: string }
  | { from: 'cookie'; name: string }
  | { from: 'client-address' };

export function parseStickyKey(text: string): StickyKeySource | undefined {
  if (text === 'client-address' || text === 'client') return { from: 'client-address' };
  const m = /^(header|cookie):(.+)$/.exec(text.trim());
  if (!m) return undefined;
  return m[1] === 'header' ? { from: 'header', name: m[2]!.toLowerCase() } : { from: 'cookie', name: m[2]! };
}

/** Reads the sticky key of a request; undefined when absent (such requests are untouched). */
export function stickyKeyOf(
  source: StickyKeySource,
  headers: Record<string, string | string[] | undefined>,
  clientAddress: string | undefined,
): string | undefined {
  if (source.from === 'client-address') return clientAddress;
  if (source.from === 'header') {
    const v = headers[source.name];
    return Array.isArray(v) ? v[0] : v;
  }
  const cookie = headers['cookie'];
  const text = Array.isArray(cookie) ? cookie.join('; ') : cookie;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === source.name) return decodeCookieValue(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * A cookie value, percent-decoded when it is valid percent-encoding and taken as it is otherwise
 * (`%zz`, a lone `%`): anyone can send any bytes, and a bad one must not throw in a request listener.
 */
export function decodeCookieValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
