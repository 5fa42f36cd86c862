import { createRequire } from 'node:module';
import type { Logger, LevelWithSilent } from 'pino';

type Pino = typeof import('pino').pino;
let loaded: Pino | undefined;
// pino is loaded with the first logger, not at start-up: commands that log nothing start faster.
function pinoLib(): Pino {
  loaded ??= (createRequire(import.meta.url)('pino') as typeof import('pino')).pino;
  return loaded;
}

export type { Logger };

/**
 * Structured logs go to stderr as JSON (pino); human output goes to stdout. `redact` hides secrets by
 * value: the secrets registry passes the literal values so they never reach a log line.
 */
export function createLogger(options: { level?: LevelWithSilent | string; destination?: number; name?: string } = {}): Logger {
  const level = (options.level ?? process.env.FIREBREAK_LOG_LEVEL ?? 'info') as LevelWithSilent;
  const pino = pinoLib();
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
    const e = new Error(scrubValue(value.message, seen, replace) as string);
    e.name = value.name;
    return e;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, seen, replace);
  return out;
}
