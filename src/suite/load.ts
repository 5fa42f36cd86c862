import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseSource, documentSink } from '../experiment/document.js';
import { rejectUnknownFields, type Issue, type IssueSink } from '../experiment/issues.js';
import { buildExperimentObject } from '../experiment/loader.js';
import type { ProbeSpec, ToleranceSpec } from '../experiment/model.js';
import type { Status } from '../engine/journal.js';
import { parseDuration } from '../util/duration.js';
import { expandGlob } from './glob.js';

/** Verdicts an experiment of a suite may be expected to reach. */
export const EXPECTABLE: readonly Status[] = ['held', 'deviated', 'aborted', 'not-steady', 'inconclusive'];

/** One experiment of a suite, after its pattern was expanded. */
export interface SuiteEntry {
  /** Resolved path of the experiment file. */
  path: string;
  /** The pattern as written (several entries share it when it is a glob). */
  pattern: string;
  /** Verdicts that meet the expectation (default: held). A known weakness may expect deviated. */
  expect: Status[];
  /** Its share in the suite's resilience score (default 1). */
  weight: number;
  /** A miss stops the suite (default false). */
  critical: boolean;
  /** Variables for this experiment, over the suite's. */
  vars: Record<string, string>;
}

/** A health probe run before each experiment and throughout: a failing guard halts the suite. */
export interface Guard {
  name: string;
  probe: ProbeSpec;
  checks: ToleranceSpec[];
  everyMs: number;
}

/** What `inconclusive` means for the gate: a miss (`fail`, pre-release default) or neither (`skip`, game-day default). */
export type InconclusivePolicy = 'fail' | 'skip';

export interface Suite {
  name: string;
  description?: string;
  source: string;
  baseDir: string;
  kind: 'pre-release' | 'game-day';
  inconclusive: InconclusivePolicy;
  /** When a miss stops the suite: a critical experiment's (default), any, or never. */
  stopOn: 'critical' | 'any' | 'never';
  guards: Guard[];
  experiments: SuiteEntry[];
  vars: Record<string, string>;
  varFiles: string[];
  /** An experiment not decided for this long counts as stale in the score (default 30 days). */
  staleAfterMs: number;
}

export interface LoadedSuite {
  suite?: Suite;
  issues: Issue[];
}

const TOP = ['name', 'description', 'kind', 'inconclusive', 'stopOn', 'guards', 'experiments', 'vars', 'varFiles', 'staleAfter'];
const ENTRY = ['path', 'expect', 'weight', 'critical', 'vars'];
const GUARD = ['name', 'probe', 'check', 'every'];

/** Reads and validates a suite file (YAML or JSON); every problem at once, with its position. Touches nothing. */
export function loadSuiteFile(file: string): LoadedSuite {
  const issues: Issue[] = [];
  const suite = readValidated(file, issues, (data, sink) => validateSuite(data, file, dirname(resolve(file)), sink));
  return { issues, ...(suite && issues.length === 0 ? { suite } : {}) };
}

/** Reads a YAML or JSON file and validates its data with positions; problems go to `issues`. */
export function readValidated<T>(file: string, issues: Issue[], validate: (data: unknown, sink: IssueSink) => T): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    issues.push({ file, path: '', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
  const doc = parseSource(text, file);
  if (doc.syntaxIssues.length) {
    issues.push(...doc.syntaxIssues);
    return undefined;
  }
  return validate(doc.data, documentSink(doc, file, issues));
}

export function validateSuite(data: unknown, source: string, baseDir: string, issues: IssueSink): Suite | undefined {
  if (!isMap(data)) {
    issues.add('', 'a suite must be a mapping', 'name, experiments, guards, ...');
    return undefined;
  }
  rejectUnknownFields(data, TOP, issues);
  const name = typeof data.name === 'string' && data.name.trim() ? data.name.trim() : undefined;
  if (!name) issues.add('name', 'is required', 'a non-empty string');
  const kind = data.kind === undefined ? 'pre-release' : data.kind;
  if (kind !== 'pre-release' && kind !== 'game-day') issues.add('kind', `must be pre-release or game-day, got ${JSON.stringify(data.kind)}`);
  const inconclusive = data.inconclusive === undefined ? (kind === 'game-day' ? 'skip' : 'fail') : data.inconclusive;
  if (inconclusive !== 'fail' && inconclusive !== 'skip') issues.add('inconclusive', `must be fail or skip, got ${JSON.stringify(data.inconclusive)}`, 'fail: an undecided experiment fails the gate; skip: it neither passes nor fails');
  const stopOn = data.stopOn === undefined ? 'critical' : data.stopOn;
  if (stopOn !== 'critical' && stopOn !== 'any' && stopOn !== 'never') issues.add('stopOn', `must be critical, any or never, got ${JSON.stringify(data.stopOn)}`);
  const vars = stringMap(data.vars, issues.at('vars'));
  const varFiles = Array.isArray(data.varFiles) && data.varFiles.every((f) => typeof f === 'string') ? data.varFiles.map((f) => resolve(baseDir, f as string)) : [];
  if (data.varFiles !== undefined && varFiles.length !== (data.varFiles as unknown[]).length) issues.add('varFiles', 'must be a list of file paths');
  const staleAfterMs = data.staleAfter === undefined ? 30 * 86_400_000 : longDuration(data.staleAfter);
  if (staleAfterMs === undefined) issues.add('staleAfter', `is not a duration: ${JSON.stringify(data.staleAfter)}`, 'like 30d or 72h');
  const experiments = validateEntries(data.experiments, baseDir, issues.at('experiments'));
  const guards = validateGuards(data.guards, baseDir, issues.at('guards'));
  if (!name || issues.count > 0) return undefined;
  return {
    name, source, baseDir, kind: kind as Suite['kind'], inconclusive: inconclusive as InconclusivePolicy, stopOn: stopOn as Suite['stopOn'],
    guards, experiments, vars, varFiles, staleAfterMs: staleAfterMs!,
    ...(typeof data.description === 'string' ? { description: data.description } : {}),
  };
}

function validateEntries(raw: unknown, baseDir: string, issues: IssueSink): SuiteEntry[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    issues.add('', 'is required: a list of experiments', 'like [{ path: experiments/checkout-*.yaml, expect: [held] }]');
    return [];
  }
  const out: SuiteEntry[] = [];
  raw.forEach((item, i) => {
    const s = issues.at(`[${i}]`);
    const e = typeof item === 'string' ? { path: item } : item;
    if (!isMap(e)) return void s.add('', 'must be a path or a mapping', '{ path, expect?, weight?, critical?, vars? }');
    rejectUnknownFields(e, ENTRY, s);
    if (typeof e.path !== 'string' || !e.path.trim()) return void s.add('path', 'is required', 'an experiment file, or a pattern like experiments/*.yaml');
    const expectRaw = e.expect === undefined ? ['held'] : typeof e.expect === 'string' ? [e.expect] : e.expect;
    const expect = Array.isArray(expectRaw) ? expectRaw.filter((x): x is Status => typeof x === 'string' && (EXPECTABLE as readonly string[]).includes(x)) : [];
    if (!Array.isArray(expectRaw) || expect.length !== expectRaw.length || expect.length === 0) s.add('expect', `must list verdicts among ${EXPECTABLE.join(', ')}, got ${JSON.stringify(e.expect)}`);
    const weight = e.weight === undefined ? 1 : e.weight;
    if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) s.add('weight', `must be a number above 0, got ${JSON.stringify(e.weight)}`);
    if (e.critical !== undefined && typeof e.critical !== 'boolean') s.add('critical', `must be true or false, got ${JSON.stringify(e.critical)}`);
    const vars = stringMap(e.vars, s.at('vars'));
    const paths = expandGlob(e.path, baseDir);
    if (paths.length === 0) s.add('path', `no experiment file matches ${JSON.stringify(e.path)}`);
    for (const path of paths) out.push({ path, pattern: e.path, expect, weight: weight as number, critical: e.critical === true, vars });
  });
  return out;
}

function validateGuards(raw: unknown, baseDir: string, issues: IssueSink): Guard[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add('', 'must be a list of guards', '[{ name, probe: { type: http, url }, check: "name.status == 200", every: 10s }]');
    return [];
  }
  const out: Guard[] = [];
  raw.forEach((g, i) => {
    const s = issues.at(`[${i}]`);
    if (!isMap(g)) return void s.add('', 'must be a mapping', '{ name, probe, check, every }');
    rejectUnknownFields(g, GUARD, s);
    const name = typeof g.name === 'string' && /^[A-Za-z_][\w-]*$/.test(g.name) ? g.name : undefined;
    if (!name) return void s.add('name', 'is required: a simple name the checks refer to', 'letters, digits, - and _');
    if (!isMap(g.probe)) return void s.add('probe', 'is required', '{ type: http, url: ... } or another value probe');
    const checks = typeof g.check === 'string' ? [g.check] : Array.isArray(g.check) ? g.check : undefined;
    if (!checks || checks.length === 0) return void s.add('check', 'is required', `like "${name}.status == 200"`);
    const everyMs = g.every === undefined ? 10_000 : parseDuration(g.every);
    if (everyMs === undefined || everyMs < 1000) s.add('every', `must be a duration of at least 1s, got ${JSON.stringify(g.every)}`);
    // The probe and its checks are validated exactly as an experiment's would be.
    const built = buildExperimentObject({ title: `guard ${name}`, hypothesis: { probes: [{ ...g.probe, name }], tolerances: checks } }, { baseDir });
    for (const issue of built.issues) s.add(issue.path.replace(/^hypothesis\.probes\[0\]/, 'probe').replace(/^hypothesis\.tolerances/, 'check'), issue.message, issue.expected);
    const e = built.experiment;
    if (!e) return;
    const probe = e.hypothesis.probes[0]!;
    if (probe.kind !== 'value') return void s.add('probe.type', `a guard runs a value probe (http, process, prometheus...); "${probe.type}" measures signals`);
    if (probe.driver !== 'core') return void s.add('probe.type', `a guard runs a probe that needs no driver connection (http, process, prometheus, saturation.host.sample); "${probe.type}" needs the ${probe.driver} driver`);
    if (everyMs !== undefined && everyMs >= 1000) out.push({ name, probe, checks: e.hypothesis.tolerances, everyMs });
  });
  return out;
}

/** A duration that may be days: `30d`, `72h`, `90m`. */
export function longDuration(v: unknown): number | undefined {
  if (typeof v === 'string') {
    const d = /^\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(v);
    if (d) return Number(d[1]) * 86_400_000;
  }
  return parseDuration(v);
}

function stringMap(v: unknown, issues: IssueSink): Record<string, string> {
  if (v === undefined) return {};
  if (!isMap(v)) {
    issues.add('', 'must be a mapping of names to values');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
    else issues.add(k, `must be a string, number or boolean, got ${JSON.stringify(x)}`);
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
