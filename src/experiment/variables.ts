import { parse as parseYaml } from 'yaml';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MIN_SECRET_LENGTH, registerSecret, type SecretSource } from '../log.js';
import { readBoundedFile } from '../util/read-bounded.js';
import { FirebreakError } from '../errors.js';
import type { IssueSink } from './issues.js';

/** Values for `${name}`: `--var k=v` beats `--var-file`, which beats the experiment's configuration. */
export interface VariableInput {
  vars?: Record<string, string>;
  varFiles?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Scope {
  lookup(name: string): { found: boolean; value?: unknown; secret?: boolean };
}

const REF = /\$\{([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\}/g;

/** `--var k=v` strings into a record; malformed ones are usage errors. */
export function parseVarFlags(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new FirebreakError('FIREBREAK_E_USAGE', `--var expects name=value, got "${f}"`);
    out[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return out;
}

/** Reads `--var-file`s: YAML/JSON objects or `.env`-style `name=value` lines. */
export function readVarFiles(paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    let text: string;
    try {
      text = readBoundedFile(p, 4 * 1024 * 1024);
    } catch (err) {
      throw new FirebreakError('FIREBREAK_E_USAGE', `cannot read --var-file ${p}: ${(err as Error).message}`, { cause: err });
    }
    if (/\.env$/.test(p) || /^\s*[A-Za-z_][\w.-]*=/.test(text)) {
      for (const line of text.split('\n')) {
        const m = /^\s*([A-Za-z_][\w.-]*)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
      }
    } else {
      const data = parseYaml(text) as unknown;
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new FirebreakError('FIREBREAK_E_USAGE', `--var-file ${p} must hold a mapping of names to values`);
      }
      Object.assign(out, data);
    }
  }
  return out;
}

/**
 * Resolves the `secrets` section: each secret names where its value comes from (`env`, `file`, `var`)
 * and never holds the value itself. Values are registered for redaction before anything can log them.
 */
export function resolveSecrets(
  spec: unknown,
  input: VariableInput,
  fileVars: Record<string, unknown>,
  sink: IssueSink,
  baseDir: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (spec === undefined) return out;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    sink.add('', 'must be a mapping of secret names to sources', '{ name: { env: VAR } | { file: path } | { var: name } }');
    return out;
  }
  const env = input.env ?? process.env;
  for (const [name, raw] of Object.entries(spec as Record<string, unknown>)) {
    const s = raw as Record<string, unknown> | null;
    let source: SecretSource;
    if (s && typeof s === 'object' && typeof s.env === 'string') source = { env: s.env };
    else if (s && typeof s === 'object' && typeof s.var === 'string') source = { var: s.var };
    else if (s && typeof s === 'object' && typeof s.file === 'string') source = { file: fileURLToPath(new URL(s.file, pathToFileURL(`${baseDir}/`))) };
    else {
      sink.add(name, 'must name its source', '{ env: VAR } | { file: path } | { var: name }');
      continue;
    }
    const read = readSecret(source, { env, vars: { ...fileVars, ...input.vars } });
    if ('problem' in read) {
      sink.add('file' in source ? `${name}.file` : name, `secret "${name}" has no value: ${read.problem}`);
      continue;
    }
    if (read.value.length < MIN_SECRET_LENGTH) {
      sink.add(name, `secret "${name}" is ${read.value.length} character(s) long; secrets shorter than ${MIN_SECRET_LENGTH} cannot be redacted safely`, `a value of at least ${MIN_SECRET_LENGTH} characters`);
      continue;
    }
    out[name] = read.value;
    registerSecret(read.value, { name, source });
  }
  return out;
}

/** Largest secret file read. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Reads a secret from its source, at load time and again in `recover` (which reverts with the real
 * value, never a redacted one). A file must be a regular file of at most 64 KiB: `/dev/zero` or
 * `/dev/stdin` are refused instead of read forever.
 */
export function readSecret(source: SecretSource, from: { env: NodeJS.ProcessEnv; vars: Record<string, unknown> }): { value: string } | { problem: string } {
  let value: unknown;
  if ('env' in source) {
    value = from.env[source.env];
    if (value === undefined || value === '') return { problem: `environment variable ${source.env} is not set` };
  } else if ('var' in source) {
    value = from.vars[source.var];
    if (value === undefined || value === '') return { problem: `variable ${source.var} has no value (pass --var ${source.var}=...)` };
  } else {
    try {
      value = readBoundedFile(source.file, MAX_SECRET_FILE_BYTES).trim();
    } catch (err) {
      return { problem: `cannot read secret file ${source.file}: ${(err as Error).message}` };
    }
    if (value === '') return { problem: `secret file ${source.file} is empty` };
  }
  return { value: String(value) };
}

export function createScope(
  input: VariableInput,
  fileVars: Record<string, unknown>,
  configuration: Record<string, unknown>,
  secrets: Record<string, string>,
): Scope {
  const env = input.env ?? process.env;
  return {
    lookup(name) {
      if (name.startsWith('env:')) {
        const v = env[name.slice(4)];
        return v === undefined ? { found: false } : { found: true, value: v };
      }
      if (name.startsWith('secret:') || name in secrets) {
        const key = name.startsWith('secret:') ? name.slice(7) : name;
        return key in secrets ? { found: true, value: secrets[key], secret: true } : { found: false };
      }
      if (input.vars && name in input.vars) return { found: true, value: input.vars[name] };
      if (name in fileVars) return { found: true, value: fileVars[name] };
      if (name in configuration) return { found: true, value: configuration[name] };
      const v = env[name];
      return v === undefined ? { found: false } : { found: true, value: v };
    },
  };
}

/**
 * Replaces `${name}` in every string of `data`. A string that is exactly one reference takes the
 * value's own type (a number stays a number); otherwise values are spliced in as text.
 */
export function substitute(data: unknown, scope: Scope, sink: IssueSink, path = ''): unknown {
  if (typeof data === 'string') {
    const whole = /^\$\{([^}]+)\}$/.exec(data);
    if (whole) {
      const r = scope.lookup(whole[1]!);
      if (r.found) return r.value;
      sink.add(path, `variable \${${whole[1]}} has no value`, 'a value from --var, --var-file, configuration or the environment');
      return data;
    }
    return data.replace(REF, (ref, name: string) => {
      const r = scope.lookup(name);
      if (r.found) return String(r.value);
      sink.add(path, `variable \${${name}} has no value`, 'a value from --var, --var-file, configuration or the environment');
      return ref;
    });
  }
  if (Array.isArray(data)) return data.map((v, i) => substitute(v, scope, sink, `${path}[${i}]`));
  if (data !== null && typeof data === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = substitute(v, scope, sink, path ? `${path}.${k}` : k);
    return out;
  }
  return data;
}
