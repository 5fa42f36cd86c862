import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Structured logs go to stderr as JSON (pino); human output goes to stdout. `redact` hides secrets by
 * value: the secrets registry passes the literal values so they never reach a log line.
 */
export function createLogger(options: { level?: LevelWithSilent | string; destination?: number; name?: string } = {}): Logger {
  const level = (options.level ?? process.env.FIREBREAK_LOG_LEVEL ?? 'info') as LevelWithSilent;
  return pino(
    {
      name: options.name ?? 'firebreak',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ fd: options.destination ?? 2, sync: true }),
  );
}

/** A logger that drops everything; the default for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const secretValues = new Set<string>();

/** Registers secret values so that logs, journals and reports replace them with `***`. */
export function registerSecret(value: string): void {
  if (value.length >= 3) secretValues.add(value);
}

export function clearSecrets(): void {
  secretValues.clear();
}

/** Replaces every registered secret value inside strings, arrays and plain objects with `***`. */
export function scrub<T>(value: T): T {
  if (secretValues.size === 0) return value;
  return scrubValue(value, new WeakSet()) as T;
}

function scrubValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const s of secretValues) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, seen));
  if (value instanceof Error) {
    const e = new Error(scrubValue(value.message, seen) as string);
    e.name = value.name;
    return e;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, seen);
  return out;
}
