import { createRequire } from 'node:module';
import type { Logger, LevelWithSilent } from 'pino';
import { FirebreakError } from './errors.js';
import { explainError } from './util/cause.js';
import { humanLogStream, type HumanLogOptions } from './log-human.js';

type Pino = typeof import('pino').pino;
let loaded: Pino | undefined;
// pino is loaded with the first logger, not at start-up: commands that log nothing start faster.
function pinoLib(): Pino {
  loaded ??= (createRequire(import.meta.url)('pino') as typeof import('pino')).pino;
  return loaded;
}

export type { Logger };

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** JSON lines (pino's own), or one compact line per record for people (time, level, message, key=value). */
export const LOG_FORMATS = ['json', 'human'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A level as given (flag or environment), or a usage error that lists the levels. */
export function parseLogLevel(value: string, from = 'log level'): LogLevel {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new FirebreakError('FIREBREAK_E_USAGE', `${from}: unknown log level ${JSON.stringify(value)} (levels: ${LOG_LEVELS.join(', ')})`);
}

export function parseLogFormat(value: string, from = 'log format'): LogFormat {
  const format = value.trim().toLowerCase();
  if ((LOG_FORMATS as readonly string[]).includes(format)) return format as LogFormat;
  throw new FirebreakError('FIREBREAK_E_USAGE', `${from}: unknown log format ${JSON.stringify(value)} (formats: ${LOG_FORMATS.join(', ')})`);
}

/**
 * Structured logs go to stderr, as JSON (pino) or, for people, in the human format; human output goes
 * to stdout. Secrets are scrubbed from every record before either format sees it.
 */
export function createLogger(options: { level?: LevelWithSilent | string; destination?: number; name?: string; format?: LogFormat; human?: HumanLogOptions } = {}): Logger {
  const level = parseLogLevel(options.level ?? process.env.FIREBREAK_LOG_LEVEL ?? 'info', options.level === undefined ? 'FIREBREAK_LOG_LEVEL' : 'log level');
  const pino = pinoLib();
  const destination = pino.destination({ fd: options.destination ?? 2, sync: true });
  return pino(
    {
      name: options.name ?? 'firebreak',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    humanLogStream(destination, options.format ?? 'json', options.human ?? { color: false, unicode: true }),
  );
}

/** An error in a log record: its message one readable line down the cause chain (pino's would repeat each cause). */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  return { type: err.name, message: explainError(err), ...(typeof code === 'string' ? { code } : {}), stack: err.stack };
}

/** A logger that drops everything; the default for library use and tests. */
export function silentLogger(): Logger {
  return pinoLib()({ level: 'silent' });
}

/** Where a secret's value comes from: written to the ledger instead of the value, so `recover` can read it again. */
export type SecretSource = { env: string } | { file: string } | { var: string };

/**
 * Shorter secrets are refused at validation: redacting a two-letter value would mangle every log line
 * and still say what it is by where the stars appear.
 */
export const MIN_SECRET_LENGTH = 6;

/** The ways a value appears in text: as it is, JSON-escaped (inside a JSON string), URL-encoded. */
type Form = 'raw' | 'json' | 'url';

interface Secret {
  name?: string;
  source?: SecretSource;
}

const secrets = new Map<string, Secret>();
/** Every form of every secret, longest first, so a secret that contains another is replaced whole. */
let patterns: { text: string; value: string; form: Form }[] = [];

/** Registers a secret value so that logs, journals and reports replace it with `***` (the ledger with a reference). */
export function registerSecret(value: string, meta: Secret = {}): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  secrets.set(value, { ...secrets.get(value), ...meta });
  const forms: [Form, string][] = [['raw', value], ['json', JSON.stringify(value).slice(1, -1)], ['url', encodeURIComponent(value)]];
  for (const [form, text] of forms) {
    if (form !== 'raw' && text === value) continue;
    if (!patterns.some((p) => p.text === text)) patterns.push({ text, value, form });
  }
  patterns.sort((a, b) => b.text.length - a.text.length);
  matcher = undefined;
}

export function clearSecrets(): void {
  secrets.clear();
  patterns = [];
  matcher = undefined;
}

/** Replaces every registered secret value (in each of its forms) inside strings, arrays and plain objects with `***`. */
export function scrub<T>(value: T): T {
  if (patterns.length === 0) return value;
  return scrubValue(value, new WeakSet(), () => '***') as T;
}

/**
 * Like `scrub`, but a named secret becomes a reference (`${secret:name}`, `${secret:name:json}` for its
 * JSON-escaped form) that `resolveSecretRefs` turns back into the value; `used` gets each secret's source.
 */
export function scrubToRefs<T>(value: T, used: Record<string, SecretSource>): T {
  if (patterns.length === 0) return value;
  return scrubValue(value, new WeakSet(), (p) => {
    const s = secrets.get(p.value);
    if (!s?.name || !s.source) return '***';
    used[s.name] = s.source;
    return `\${secret:${s.name}${p.form === 'raw' ? '' : `:${p.form}`}}`;
  }) as T;
}

const REF = /\$\{secret:([A-Za-z_][\w.-]*)(?::(json|url))?\}/g;

/** Puts the values back into references written by `scrubToRefs`; `values` maps secret names to values. */
export function resolveSecretRefs<T>(value: T, values: Record<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(REF, (ref, name: string, form?: string) => {
        const raw = values[name];
        if (raw === undefined) return ref;
        return form === 'json' ? JSON.stringify(raw).slice(1, -1) : form === 'url' ? encodeURIComponent(raw) : raw;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

let matcher: { re: RegExp; byText: Map<string, (typeof patterns)[number]> } | undefined;

// One pass over the text with every form at once (longest first): what was put in is never searched again.
function replaceIn(text: string, replace: (p: (typeof patterns)[number]) => string): string {
  matcher ??= {
    re: new RegExp(patterns.map((p) => p.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g'),
    byText: new Map(patterns.map((p) => [p.text, p])),
  };
  const m = matcher;
  return text.replace(m.re, (found) => replace(m.byText.get(found)!));
}

function scrubValue(value: unknown, seen: WeakSet<object>, replace: (p: (typeof patterns)[number]) => string): unknown {
  if (typeof value === 'string') return replaceIn(value, replace);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, seen, replace));
  if (value instanceof Error) {
    // Its own fields (code, address, port, a status) and its cause stay: they say why it failed.
    const cause = value.cause === undefined ? undefined : { cause: scrubValue(value.cause, seen, replace) };
    const e = new Error(scrubValue(value.message, seen, replace) as string, cause);
    for (const [k, v] of Object.entries(value)) (e as unknown as Record<string, unknown>)[k] = scrubValue(v, seen, replace);
    e.name = value.name;
    if (value.stack) e.stack = scrubValue(value.stack, seen, replace) as string;
    return e;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, seen, replace);
  return out;
}
