/**
 * The longest wait a timer can take (2^31 - 1 ms, about 24.8 days): Node fires a longer one after 1 ms,
 * so a longer duration is refused wherever it would become a timer.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a duration cannot be a timer, or undefined when it can. */
export function timerProblem(ms: number): string | undefined {
  return ms > MAX_TIMER_MS ? `is longer than the longest timer (${MAX_TIMER_MS} ms, about 24.8 days)` : undefined;
}

/** Parses `250ms`, `30s`, `2m`, `1h`, `1m30s`, or a bare number of milliseconds. Returns ms or undefined. */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : unit === 'ms' ? n : n / 1000;
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? total : undefined;
}

/** Formats milliseconds as a short human duration: 850ms, 12.5s, 2m05s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1).replace(/\.?0+$/, '')}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** Parses `5%`, `0.05`, or `5` (taken as percent when > 1) into a fraction 0..1. */
export function parseFraction(input: unknown): number | undefined {
  if (typeof input === 'number') {
    const f = input > 1 ? input / 100 : input;
    return f >= 0 && f <= 1 ? f : undefined;
  }
  if (typeof input !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(input);
  if (m) {
    const f = Number(m[1]) / 100;
    return f <= 1 ? f : undefined;
  }
  return parseFraction(Number(input.trim()) || (input.trim() === '0' ? 0 : NaN));
}

/** Parses a byte size: `64KB`, `1MiB`, `512`, into bytes. */
export function parseBytes(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(input);
  if (!m) return undefined;
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
}
