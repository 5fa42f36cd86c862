import { readdirSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { readBoundedFile } from '../util/read-bounded.js';
import { timerProblem } from '../util/duration.js';
import { dirname, extname, join, resolve } from 'node:path';
import { FirebreakError } from '../errors.js';
import { defaultRegistry } from '../drivers/builtin.js';
import type { Registry } from '../drivers/registry.js';
import { parseSource, documentSink, type SourceDocument } from './document.js';
import { formatIssue, type Issue, type IssueSink } from './issues.js';
import type { Experiment } from './model.js';
import { loadProbeDefinition } from './probe-refs.js';
import { createScope, readVarFiles, resolveSecrets, substitute, type VariableInput } from './variables.js';
import { validateExperiment } from './validate.js';

export interface LoadOptions extends VariableInput {
  registry?: Registry;
}

export interface Loaded {
  source: string;
  /** The experiment as written (variables not substituted, so no secret values). */
  given: unknown;
  experiment?: Experiment;
  issues: Issue[];
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];
/** Suites and schedules live beside experiments; a directory expands to its experiments only. */
const NOT_EXPERIMENTS = /\.(suite|schedules)\.(ya?ml|json)$/;

/** Top-level fields that only an experiment has; a file in a directory with none of them is something else. */
const EXPERIMENT_FIELDS = ['title', 'hypothesis', 'faults', 'phases', 'cohort', 'rollbacks', 'abort'];

/**
 * Expands files and directories (one level, sorted) into experiment files. A file named on the command
 * line is always taken; from a directory, files that are plainly something else (a journal, a suite, a
 * schedules file, package.json, a compose file) are skipped and reported to `onSkip` with the reason.
 */
export function expandPaths(paths: string[], onSkip?: (file: string, reason: string) => void): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FirebreakError('FIREBREAK_E_USAGE', `no such file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      const files: string[] = [];
      for (const f of readdirSync(p).filter((f) => EXTENSIONS.includes(extname(f))).sort()) {
        const file = join(p, f);
        const why = NOT_EXPERIMENTS.test(f) ? 'a suite or schedules file' : notAnExperiment(file);
        if (why) onSkip?.(file, why);
        else files.push(file);
      }
      if (files.length === 0) throw new FirebreakError('FIREBREAK_E_USAGE', `no experiment files (${EXTENSIONS.join(', ')}) in ${p}`);
      out.push(...files);
    } else out.push(p);
  }
  return out;
}

/**
 * Why a file found in a directory is not an experiment, or undefined when it is one (or may be: a file
 * that does not parse is taken, so that a typo in an experiment is reported rather than skipped).
 */
function notAnExperiment(file: string): string | undefined {
  let data: unknown;
  try {
    data = parseYaml(readBoundedFile(file, MAX_EXPERIMENT_BYTES), { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'not a mapping';
  const d = data as Record<string, unknown>;
  if (typeof d.schema === 'string' && d.schema.startsWith('firebreak.journal/')) return 'a journal';
  if (Array.isArray(d.experiments)) return 'a suite';
  if (Array.isArray(d.schedules)) return 'a schedules file';
  if (!EXPERIMENT_FIELDS.some((k) => k in d)) return `no ${EXPERIMENT_FIELDS.slice(0, 3).join(', ')} or other experiment field`;
  return undefined;
}

/** Reads, substitutes and validates one experiment file. Never throws for bad content: see `issues`. */
export function loadExperimentFile(file: string, opts: LoadOptions = {}): Loaded {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_EXPERIMENT_BYTES);
  } catch (err) {
    return { source: file, given: undefined, issues: [{ file, line: 1, column: 1, path: '', message: `cannot read: ${(err as Error).message}` }] };
  }
  const doc = parseSource(text, file);
  if (doc.syntaxIssues.length) return { source: file, given: undefined, issues: doc.syntaxIssues };
  return buildExperiment(doc.data, file, dirname(resolve(file)), doc, opts);
}

/** Validates an in-memory definition (the CLI's inject, suites); issues are returned, not thrown. */
export function buildExperimentObject(definition: Record<string, unknown>, opts: LoadOptions & { baseDir?: string } = {}): Loaded {
  return buildExperiment(definition, '<inline>', opts.baseDir ?? process.cwd(), undefined, opts);
}

/** The typed library API: validates an object exactly as a file would be. Throws on any issue. */
export function defineExperiment(definition: Record<string, unknown>, opts: LoadOptions & { baseDir?: string } = {}): Experiment {
  const loaded = buildExperiment(definition, '<inline>', opts.baseDir ?? process.cwd(), undefined, opts);
  if (!loaded.experiment) throw invalid(loaded.issues);
  return loaded.experiment;
}

export function invalid(issues: Issue[]): FirebreakError {
  return new FirebreakError('FIREBREAK_E_INVALID', `${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map(formatIssue).join('\n')}`, { details: issues });
}

function buildExperiment(data: unknown, source: string, baseDir: string, doc: SourceDocument | undefined, opts: LoadOptions): Loaded {
  const issues: Issue[] = [];
  const sink = documentSink(doc, source, issues);
  const registry = opts.registry ?? defaultRegistry();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    sink.add('', 'an experiment must be a mapping', 'title, hypothesis, faults, ...');
    return { source, given: data, issues };
  }
  const raw = data as Record<string, unknown>;
  let fileVars: Record<string, unknown> = {};
  try {
    fileVars = readVarFiles(opts.varFiles ?? []);
  } catch (err) {
    sink.add('', (err as Error).message);
  }
  const secrets = resolveSecrets(raw.secrets, opts, fileVars, sink.at('secrets'), baseDir);
  const emptyScope = createScope(opts, fileVars, {}, secrets);
  const configuration = (raw.configuration === undefined ? {} : substitute(raw.configuration, emptyScope, sink, 'configuration')) as Record<string, unknown>;
  const scope = createScope(opts, fileVars, configuration && typeof configuration === 'object' ? configuration : {}, secrets);
  const { secrets: _secrets, ...rest } = raw;
  const expanded = expandProbeRefs(rest, baseDir, sink);
  const resolved = substitute({ ...expanded, configuration }, scope, sink) as Record<string, unknown>;
  const experiment = validateExperiment(resolved, { registry, source, baseDir, secretNames: Object.keys(secrets) }, sink);
  if (experiment) refuseLongTimers(experiment, sink);
  return { source, given: data, issues, ...(experiment && issues.length === 0 ? { experiment } : {}) };
}

/** Every phase and fault window becomes a timer: none may be longer than a timer can wait. */
function refuseLongTimers(e: Experiment, sink: IssueSink): void {
  for (const [key, ms] of Object.entries(e.phases)) {
    const problem = typeof ms === 'number' ? timerProblem(ms) : undefined;
    if (problem) sink.add(`phases.${key}`, `${problem}: ${ms} ms`);
  }
  e.faults.forEach((f, i) => {
    for (const [key, ms] of [['start', f.start], ['duration', f.duration]] as const) {
      const problem = ms === undefined ? undefined : timerProblem(ms);
      if (problem) sink.add(`faults[${i}].${key}`, `${problem}: ${ms} ms`);
    }
  });
}

/** Larger than any experiment: a bigger file is refused before it is read. */
export const MAX_EXPERIMENT_BYTES = 4 * 1024 * 1024;

/** Replaces `use: <name>` probes with the definition's attributes under the inline ones. */
function expandProbeRefs(data: Record<string, unknown>, baseDir: string, sink: IssueSink): Record<string, unknown> {
  const h = data.hypothesis as Record<string, unknown> | undefined;
  if (!h || typeof h !== 'object' || !Array.isArray(h.probes)) return data;
  const probes = h.probes.map((p, i) => {
    if (!p || typeof p !== 'object' || typeof (p as Record<string, unknown>).use !== 'string') return p;
    const def = loadProbeDefinition((p as Record<string, unknown>).use as string, baseDir, sink.at(`hypothesis.probes[${i}]`));
    return def ? { ...def, ...(p as Record<string, unknown>) } : p;
  });
  return { ...data, hypothesis: { ...h, probes } };
}
