import type { IssueSink } from '../../experiment/issues.js';

/** Inclusive ranges of HTTP statuses that count as errors. */
export type StatusRanges = readonly (readonly [number, number])[];

/** The default rule: every 5xx is an error. */
export const DEFAULT_ERROR_STATUS: StatusRanges = [[500, 599]];

export function isErrorStatus(status: number, ranges: StatusRanges): boolean {
  for (const [lo, hi] of ranges) if (status >= lo && status <= hi) return true;
  return false;
}

const EXPECTED = 'a status (503), a class (5xx), a range (500-599), a bound (>=500), or a list of those';

/**
 * Reads `errorStatus`: a bare number is a lower bound (`500` means >= 500, the common wish); inside a
 * list a number is one exact status (`[429, 5xx]`).
 */
export function parseErrorStatus(value: unknown, issues: IssueSink): StatusRanges | undefined {
  if (value === undefined) return DEFAULT_ERROR_STATUS;
  if (typeof value === 'number') return checkStatus(value, issues, '') ? [[value, 599]] : undefined;
  if (typeof value === 'string') {
    const r = parseStatusText(value);
    if (!r) issues.add('', `is not a status rule: ${JSON.stringify(value)}`, EXPECTED);
    return r ? [r] : undefined;
  }
  if (Array.isArray(value) && value.length > 0) {
    const out: [number, number][] = [];
    value.forEach((item, i) => {
      if (typeof item === 'number') {
        if (checkStatus(item, issues, `[${i}]`)) out.push([item, item]);
        return;
      }
      const r = typeof item === 'string' ? parseStatusText(item) : undefined;
      if (r) out.push(r);
      else issues.add(`[${i}]`, `is not a status rule: ${JSON.stringify(item)}`, EXPECTED);
    });
    return out.length === value.length ? out : undefined;
  }
  issues.add('', `is not a status rule: ${JSON.stringify(value)}`, EXPECTED);
  return undefined;
}

function checkStatus(n: number, issues: IssueSink, path: string): boolean {
  if (Number.isInteger(n) && n >= 100 && n <= 599) return true;
  issues.add(path, `must be an HTTP status between 100 and 599, got ${n}`);
  return false;
}

function parseStatusText(text: string): [number, number] | undefined {
  const t = text.trim().toLowerCase();
  let m = /^([1-5])xx$/.exec(t);
  if (m) return [Number(m[1]) * 100, Number(m[1]) * 100 + 99];
  m = /^(\d{3})\s*-\s*(\d{3})$/.exec(t);
  if (m) return valid(Number(m[1]), Number(m[2]));
  m = /^(>=|>)\s*(\d{3})$/.exec(t);
  if (m) return valid(Number(m[2]) + (m[1] === '>' ? 1 : 0), 599);
  m = /^(\d{3})$/.exec(t);
  if (m) return valid(Number(m[1]), Number(m[1]));
  return undefined;
}

function valid(lo: number, hi: number): [number, number] | undefined {
  return lo >= 100 && hi <= 599 && lo <= hi ? [lo, hi] : undefined;
}
