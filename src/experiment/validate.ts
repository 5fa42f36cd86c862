import type { Registry } from '../drivers/registry.js';
import type { TargetSelector } from '../drivers/types.js';
import type { JsonObject } from '../faults/types.js';
import { parseStickyKey } from '../cohort/sticky.js';
import { parseDuration, parseFraction } from '../util/duration.js';
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from '../engine/parallel.js';
import { parseAbort, parseTolerance, parseValue } from '../analysis/expressions.js';
import { SIGNAL_FIELDS } from '../analysis/fields.js';
import { CANARY_FIELDS } from '../analysis/canary.js';
import { rejectUnknownFields, type IssueSink } from './issues.js';
import type { SignalProbeType } from '../probes/types.js';
import type { CohortName } from '../signals/types.js';
import type { AbortSpec, CohortSpec, Experiment, FaultSpec, Phases, PhaseName, ProbeSpec, TargetCohort, ToleranceSpec, TrafficCohort } from './model.js';
import { didYouMean } from '../util/suggest.js';

const TOP = ['version', 'title', 'description', 'tags', 'configuration', 'secrets', 'target', 'cohort', 'phases', 'hypothesis', 'faults', 'abort', 'rollbacks'];
const PHASES: PhaseName[] = ['before', 'during', 'after'];
const MODES = ['one', 'all', 'fixed', 'percent', 'random-max-percent'] as const;

type Raw = Record<string, unknown>;

export interface ValidateContext {
  registry: Registry;
  source: string;
  baseDir: string;
  secretNames: string[];
}

/**
 * Checks the envelope of an experiment (the common fields first, then each driver checks
 * its own attributes) and builds the model. Every problem goes to `issues`; nothing touches a system.
 */
export function validateExperiment(data: unknown, ctx: ValidateContext, issues: IssueSink): Experiment | undefined {
  if (!isMap(data)) {
    issues.add('', 'an experiment must be a mapping', 'title, hypothesis, faults, ...');
    return undefined;
  }
  rejectUnknownFields(data, TOP, issues);
  if (data.version !== undefined && data.version !== 1 && data.version !== '1') issues.add('version', `unsupported version ${JSON.stringify(data.version)}`, '1');

  const title = typeof data.title === 'string' && data.title.trim() ? data.title.trim() : undefined;
  if (!title) issues.add('title', 'is required', 'a non-empty string');
  if (data.description !== undefined && typeof data.description !== 'string') issues.add('description', 'must be a string');
  const tags = stringList(data.tags, 'tags', issues);
  const configuration = data.configuration === undefined ? {} : isMap(data.configuration) ? data.configuration : (issues.add('configuration', 'must be a mapping'), {});

  const target = validateTarget(data.target, ctx, issues);
  const cohort = validateCohort(data.cohort, title ?? 'experiment', ctx, issues.at('cohort'));
  const phases = validatePhases(data.phases, issues.at('phases'));
  const probes = validateProbes(data.hypothesis, cohort, ctx, issues);
  const measures = cohortsMeasured(probes, cohort, ctx);
  // A probe with its own problems is reported once: checks that name it say nothing more.
  const broken = new Set(declaredProbeNames(data.hypothesis).filter((n) => !probes.some((p) => p.name === n)));
  const tolerances = validateTolerances(isMap(data.hypothesis) ? data.hypothesis.tolerances : undefined, probes, measures, issues.at('hypothesis.tolerances'), broken);
  const faults = validateFaults(data.faults, cohort, phases, ctx, issues.at('faults'));
  const abort = validateAborts(data.abort, probes, measures, issues.at('abort'), broken);
  const rollbacks = validateActions(data.rollbacks, ctx, issues.at('rollbacks'));
  reconcileDrivers(target, { cohort, faults, probes }, ctx, issues);
  if (!title || issues.count > 0) return undefined;
  return {
    title,
    ...(typeof data.description === 'string' ? { description: data.description } : {}),
    tags,
    source: ctx.source,
    baseDir: ctx.baseDir,
    configuration,
    secretNames: ctx.secretNames,
    target,
    cohort,
    phases: phases!,
    hypothesis: { probes, tolerances },
    faults,
    abort,
    rollbacks,
  };
}

function validateTarget(raw: unknown, ctx: ValidateContext, issues: IssueSink): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  if (raw === undefined) return out;
  if (!isMap(raw)) {
    issues.add('target', 'must be a mapping of driver names to their settings', `keys among ${ctx.registry.driverNames().join(', ')}`);
    return out;
  }
  for (const [name, cfg] of Object.entries(raw)) {
    const driver = ctx.registry.driver(name);
    if (!driver) {
      issues.add(`target.${name}`, `unknown driver "${name}"`, `one of ${ctx.registry.driverNames().join(', ')}`);
      continue;
    }
    if (cfg !== null && cfg !== undefined && !isMap(cfg)) {
      issues.add(`target.${name}`, 'must be a mapping');
      continue;
    }
    const parsed = driver.parseConfig((cfg ?? undefined) as Raw | undefined, issues.at(`target.${name}`));
    if (parsed) out[name] = parsed;
  }
  return out;
}

/**
 * Each driver checks its settings against the rest of the experiment and completes them (the proxy
 * driver puts its proxies in cohort mode from cohort.traffic). Drivers used without a `target` entry
 * are checked with their defaults.
 */
function reconcileDrivers(target: Record<string, JsonObject>, experiment: { cohort: CohortSpec; faults: FaultSpec[]; probes: ProbeSpec[] }, ctx: ValidateContext, issues: IssueSink): void {
  const used = new Set<string>([...Object.keys(target), ...experiment.faults.map((f) => f.driver), ...experiment.probes.map((p) => p.driver)]);
  for (const name of used) {
    const driver = ctx.registry.driver(name);
    if (!driver?.reconcile) continue;
    const config = target[name] ?? (driver.parseConfig(undefined, collectSilently()) as JsonObject | undefined);
    if (!config) continue;
    const done = driver.reconcile(config, experiment, issues);
    if (target[name]) target[name] = done;
  }
}

function collectSilently(): IssueSink {
  const sink: IssueSink = { add: () => undefined, at: () => sink, count: 0 };
  return sink;
}

/** The cohorts each signals probe measures under this experiment (probes that do not say are taken to measure all). */
function cohortsMeasured(probes: ProbeSpec[], cohort: CohortSpec, ctx: ValidateContext): Map<string, readonly CohortName[] | undefined> {
  const experiment = { traffic: Boolean(cohort.traffic), targets: Boolean(cohort.targets) };
  return new Map(
    probes.filter((p) => p.kind === 'signals').map((p) => [p.name, (ctx.registry.probe(p.type) as SignalProbeType).cohorts?.(p.attrs, experiment)]),
  );
}

/** Why a probe cannot compare the canary with the control, if it cannot. */
function cannotCompare(probe: ProbeSpec, measures: Map<string, readonly CohortName[] | undefined>): string | undefined {
  const cohorts = measures.get(probe.name);
  if (!cohorts || (cohorts.includes('canary') && cohorts.includes('control'))) return undefined;
  const what = cohorts.length ? `only ${cohorts.join(' and ')}` : 'no cohorts';
  const fix = probe.type === 'load' ? 'cohort.traffic (or the probe\'s own cohort), so the load generator labels canary and control requests' : probe.type === 'docker.saturation' ? 'cohort.targets, so there are canary and control containers' : 'a probe that measures both cohorts';
  return `probe "${probe.name}" (${probe.type}) measures ${what} in this experiment, so the canary cannot be compared with the control here (expected ${fix})`;
}

function validateCohort(raw: unknown, title: string, ctx: ValidateContext, issues: IssueSink): CohortSpec {
  if (raw === undefined) return {};
  if (!isMap(raw)) {
    issues.add('', 'must be a mapping', 'traffic and/or targets');
    return {};
  }
  rejectUnknownFields(raw, ['traffic', 'targets'], issues);
  const out: CohortSpec = {};
  if (raw.traffic !== undefined) {
    const t = raw.traffic;
    const s = issues.at('traffic');
    if (!isMap(t)) s.add('', 'must be a mapping', 'canary, control, key, salt');
    else {
      rejectUnknownFields(t, ['canary', 'control', 'key', 'salt'], s);
      const canary = share(t.canary, 'canary', s);
      const control = share(t.control, 'control', s);
      const key = typeof t.key === 'string' ? t.key : 'header:x-user-id';
      if (!parseStickyKey(key)) s.add('key', `cannot read sticky key "${key}"`, 'header:<name>, cookie:<name> or client-address');
      const salt = t.salt === undefined ? slug(title) : String(t.salt);
      if (canary !== undefined && control !== undefined) {
        if (canary + control > 1) s.add('', `canary (${canary}) and control (${control}) add up to more than 100%`);
        if (canary === 0) s.add('canary', 'must be above 0%');
        const traffic: TrafficCohort = { canary, control, key, salt };
        out.traffic = traffic;
      }
    }
  }
  if (raw.targets !== undefined) {
    const t = raw.targets;
    const s = issues.at('targets');
    if (!isMap(t)) s.add('', 'must be a mapping', 'driver, selector, mode, value, seed, protect, maxBlastRadius');
    else {
      const known = ['driver', 'selector', 'mode', 'value', 'seed', 'protect', 'maxBlastRadius', 'includeStopped'];
      rejectUnknownFields(t, known, s);
      const driverName = typeof t.driver === 'string' ? t.driver : undefined;
      const driver = driverName ? ctx.registry.driver(driverName) : undefined;
      if (!driverName) s.add('driver', 'is required', 'the driver whose targets are selected (docker, kubernetes)');
      else if (!driver) s.add('driver', `unknown driver "${driverName}"`, `one of ${ctx.registry.driverNames().join(', ')}`);
      else if (!driver.listTargets) s.add('driver', `driver "${driverName}" has no targets to select`);
      if (!isMap(t.selector)) s.add('selector', 'is required', 'names, namePattern, labels, image, namespaces');
      else driver?.parseSelector?.(t.selector, s.at('selector'));
      if (isMap(t.protect)) driver?.parseSelector?.(t.protect, s.at('protect'));
      const mode = (t.mode ?? 'all') as TargetCohort['mode'];
      if (!MODES.includes(mode)) s.add('mode', `unknown mode "${String(t.mode)}"`, MODES.join(', '));
      let value: number | undefined;
      if (mode === 'fixed') {
        value = Number(t.value);
        if (!Number.isInteger(value) || value < 1) s.add('value', `mode fixed needs a whole number of targets >= 1, got ${JSON.stringify(t.value)}`);
      } else if (mode === 'percent' || mode === 'random-max-percent') {
        const p = percentOf(t.value);
        if (p === undefined || p <= 0 || p > 100) s.add('value', `mode ${mode} needs a percentage above 0 and at most 100, got ${JSON.stringify(t.value)}`, 'like 50% (a bare number is a percentage too)');
        else value = p;
      } else if (t.value !== undefined) s.add('value', `mode ${mode} takes no value`);
      if (t.protect !== undefined && !isMap(t.protect)) s.add('protect', 'must be a selector mapping');
      let maxBlastRadius: TargetCohort['maxBlastRadius'];
      if (t.maxBlastRadius !== undefined) {
        const m = t.maxBlastRadius;
        if (typeof m === 'number' && Number.isInteger(m) && m >= 0) maxBlastRadius = { count: m };
        else if (typeof m === 'string' && /%$/.test(m) && parseFraction(m) !== undefined) maxBlastRadius = { fraction: parseFraction(m)! };
        else s.add('maxBlastRadius', `must be a count or a percentage, got ${JSON.stringify(m)}`, 'like 2 or 25%');
      }
      if (driverName && isMap(t.selector) && MODES.includes(mode)) {
        out.targets = {
          driver: driverName,
          selector: t.selector as TargetSelector,
          mode,
          ...(value !== undefined ? { value } : {}),
          seed: t.seed === undefined ? slug(title) : String(t.seed),
          ...(isMap(t.protect) ? { protect: t.protect as TargetSelector } : {}),
          ...(maxBlastRadius ? { maxBlastRadius } : {}),
          ...(t.includeStopped === true ? { includeStopped: true } : {}),
        };
      }
    }
  }
  return out;
}

function validatePhases(raw: unknown, issues: IssueSink): Phases | undefined {
  const defaults: Phases = { before: 10_000, during: 30_000, after: 10_000, tick: 1_000, callTimeout: 10_000, phaseGrace: 60_000, concurrency: DEFAULT_CONCURRENCY };
  if (raw === undefined) return defaults;
  if (!isMap(raw)) {
    issues.add('', 'must be a mapping', 'before, during, after, tick, callTimeout, phaseGrace, concurrency');
    return undefined;
  }
  const out = { ...defaults };
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in defaults)) {
      issues.add(k, `unknown phase setting "${k}"`, Object.keys(defaults).join(', '));
      continue;
    }
    if (k === 'concurrency') {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_CONCURRENCY) out.concurrency = v;
      else issues.add(k, `must be a whole number of targets from 1 to ${MAX_CONCURRENCY}, got ${JSON.stringify(v)}`, `like 16 (${DEFAULT_CONCURRENCY} by default; 1 applies one at a time)`);
      continue;
    }
    const ms = parseDuration(v);
    if (ms === undefined) issues.add(k, `is not a duration: ${JSON.stringify(v)}`, 'like 250ms, 30s, 2m');
    else if ((k === 'tick' || k === 'callTimeout') && ms < 50) issues.add(k, `must be at least 50ms, got ${JSON.stringify(v)}`);
    else out[k as keyof Phases] = ms;
  }
  if (out.during < out.tick) issues.add('during', `must be at least one tick (${out.tick} ms)`);
  return out;
}

function validateProbes(hypothesis: unknown, cohort: CohortSpec, ctx: ValidateContext, issues: IssueSink): ProbeSpec[] {
  if (hypothesis === undefined) return [];
  if (!isMap(hypothesis)) {
    issues.add('hypothesis', 'must be a mapping', 'probes and tolerances');
    return [];
  }
  for (const k of Object.keys(hypothesis)) if (k !== 'probes' && k !== 'tolerances') issues.add(`hypothesis.${k}`, `unknown field "${k}"`, 'probes or tolerances');
  const list = hypothesis.probes;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    issues.add('hypothesis.probes', 'must be a list');
    return [];
  }
  const out: ProbeSpec[] = [];
  const names = new Set<string>();
  list.forEach((p, i) => {
    const s = issues.at(`hypothesis.probes[${i}]`);
    const spec = validateProbe(p, cohort, ctx, s, `probe-${i + 1}`);
    if (!spec) return;
    if (names.has(spec.name)) s.add('name', `duplicate probe name "${spec.name}"`);
    names.add(spec.name);
    out.push(spec);
  });
  return out;
}

function validateProbe(p: unknown, cohort: CohortSpec, ctx: ValidateContext, s: IssueSink, fallbackName: string): ProbeSpec | undefined {
  if (!isMap(p)) {
    s.add('', 'must be a mapping', 'name, type (or use), attributes');
    return undefined;
  }
  const { name, type, use, phases, description: _description, ...attrs } = p;
  if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z_][\w-]*$/.test(name))) s.add('name', `must be a simple name, got ${JSON.stringify(name)}`, 'letters, digits, - and _');
  const probeType = typeof type === 'string' ? ctx.registry.probe(type) : undefined;
  if (typeof type !== 'string') s.add(use === undefined ? 'type' : 'use', 'is required', 'a probe type, or use: <definition in probes/>');
  else if (!probeType) s.add('type', `unknown probe type "${type}"${didYouMean(type, ctx.registry.probeTypes())}`, `one of ${ctx.registry.probeTypes().join(', ')}`);
  const when = phaseList(phases, s.at('phases'));
  if (!probeType || typeof type !== 'string') return undefined;
  const withCohort = probeType.type === 'load' && cohort.traffic && attrs.cohort === undefined ? { ...attrs, cohort: { ...cohort.traffic } } : attrs;
  const parsed = probeType.parse(withCohort, s);
  if (parsed === undefined) return undefined;
  if (probeType.type === 'load' && cohort.traffic && attrs.cohort !== undefined) checkLoadCohort(parsed as { cohort?: Record<string, unknown> }, cohort.traffic, s);
  return {
    name: typeof name === 'string' ? name : typeof use === 'string' ? use : fallbackName,
    type,
    driver: probeType.driver,
    kind: probeType.kind,
    attrs: parsed,
    raw: withCohort,
    phases: when ?? ['before', 'during', 'after'],
    ...(typeof use === 'string' ? { use } : {}),
  };
}

/** A load probe that writes its own cohort must label requests as cohort.traffic (and the proxies) split them. */
function checkLoadCohort(parsed: { cohort?: Record<string, unknown> }, traffic: TrafficCohort, s: IssueSink): void {
  const own = parsed.cohort;
  if (!own) return;
  const key = parseStickyKey(traffic.key);
  if (JSON.stringify(own.key) !== JSON.stringify(key)) s.add('cohort.key', `differs from cohort.traffic.key ("${traffic.key}"): the probe would label requests by another key than the proxies split them by`);
  for (const f of ['salt', 'canary', 'control'] as const) {
    if (own[f] !== traffic[f]) s.add(`cohort.${f}`, `is ${JSON.stringify(own[f])} but cohort.traffic.${f} is ${JSON.stringify(traffic[f])}: the probe would call other users canary than the proxies hurt`, 'leave the probe\'s cohort out to take cohort.traffic');
  }
}

/** The names the probes were given (or would take), whether or not they are valid. */
function declaredProbeNames(hypothesis: unknown): string[] {
  const list = isMap(hypothesis) && Array.isArray(hypothesis.probes) ? hypothesis.probes : [];
  return list.map((p, i) => (isMap(p) && typeof p.name === 'string' ? p.name : isMap(p) && typeof p.use === 'string' ? p.use : `probe-${i + 1}`));
}

function validateTolerances(raw: unknown, probes: ProbeSpec[], measures: Map<string, readonly CohortName[] | undefined>, issues: IssueSink, broken: ReadonlySet<string>): ToleranceSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add('', 'must be a list');
    return [];
  }
  const out: ToleranceSpec[] = [];
  raw.forEach((t, i) => {
    const s = issues.at(`[${i}]`);
    let text: string | undefined;
    let opts: { phases?: PhaseName[]; alpha?: number; minSamples?: number } = {};
    if (typeof t === 'string') text = t;
    else if (isMap(t) && typeof t.check === 'string') {
      text = t.check;
      rejectUnknownFields(t, ['check', 'phases', 'alpha', 'minSamples'], s);
      const phases = phaseList(t.phases, s.at('phases'));
      opts = { ...(phases ? { phases } : {}) };
      if (t.alpha !== undefined) {
        const a = Number(t.alpha);
        if (!(a > 0 && a < 0.5)) s.add('alpha', `must be between 0 and 0.5, got ${JSON.stringify(t.alpha)}`);
        else opts.alpha = a;
      }
      if (t.minSamples !== undefined) {
        const n = Number(t.minSamples);
        if (!Number.isInteger(n) || n < 3) s.add('minSamples', `must be a whole number >= 3, got ${JSON.stringify(t.minSamples)}`);
        else opts.minSamples = n;
      }
    } else {
      s.add('', 'must be a tolerance string or { check: "...", phases, alpha, minSamples }');
      return;
    }
    const spec = parseTolerance(text, opts, s);
    if (!spec) return;
    const probe = probes.find((p) => p.name === spec.probe);
    if (!probe && broken.has(spec.probe)) return;
    if (!probe) {
      if (probes.length) s.add('', `tolerance refers to unknown probe "${spec.probe}"`, `one of ${probes.map((p) => p.name).join(', ')}`);
      else s.add('', `tolerance refers to probe "${spec.probe}" but hypothesis.probes is empty`);
      return;
    }
    if (spec.kind === 'canary-vs-control' && probe.kind !== 'signals') {
      s.add('', `canary-vs-control needs a signals probe; "${probe.name}" is a ${probe.type} probe`);
      return;
    }
    if (probe.kind === 'signals' && !checkSignalField(spec, s)) return;
    if (spec.kind === 'canary-vs-control') {
      const why = cannotCompare(probe, measures);
      if (why) return void s.add('', why);
    }
    if ((spec.kind === 'absolute' || spec.kind === 'relative') && spec.cohort && spec.cohort !== 'all') {
      const cohorts = measures.get(probe.name);
      if (cohorts && !cohorts.includes(spec.cohort)) return void s.add('', `probe "${probe.name}" does not measure a ${spec.cohort} cohort in this experiment (it measures ${cohorts.length ? cohorts.join(', ') : 'all traffic only'})`);
    }
    out.push(spec);
  });
  return out;
}

/** A tolerance on a signals probe must name a golden-signal field (typos would otherwise pass silently). */
function checkSignalField(spec: ToleranceSpec, s: IssueSink): boolean {
  if (spec.kind === 'contains' || spec.kind === 'matches') {
    s.add('', `${spec.kind} applies to value probes; "${spec.probe}" measures signals`);
    return false;
  }
  if (spec.kind === 'canary-vs-control') {
    if (!CANARY_FIELDS.includes(spec.field)) {
      s.add('', `canary-vs-control cannot compare "${spec.field}"`, `one of ${CANARY_FIELDS.join(', ')}`);
      return false;
    }
    if (spec.field.startsWith('errors') && spec.op !== '<=') {
      s.add('', 'errors are compared as "canary <= Nx control"', 'the <= operator');
      return false;
    }
    if (spec.allowance !== undefined) {
      const unit = unitOf(spec.text);
      const wanted = spec.field.startsWith('latency') ? 'ms' : spec.field.startsWith('errors') || spec.field.startsWith('saturation') ? 'ratio' : 'rate';
      if (unit !== wanted && !(wanted === 'rate' && unit === undefined)) {
        s.add('', `the allowance of "${spec.text}" is not in ${spec.field}'s unit`, wanted === 'ms' ? 'a duration like 150ms' : wanted === 'ratio' ? 'a percentage like 0.5%' : 'a rate like 10/s');
        return false;
      }
      if (spec.field.startsWith('errors') && spec.allowance >= 1) {
        s.add('', 'an error-rate allowance must be below 100%');
        return false;
      }
    }
    return true;
  }
  if (!(SIGNAL_FIELDS as readonly string[]).includes(spec.field)) {
    s.add('', `unknown signal field "${spec.field}"`, `one of ${SIGNAL_FIELDS.join(', ')}`);
    return false;
  }
  return true;
}

function validateFaults(raw: unknown, cohort: CohortSpec, phases: Phases | undefined, ctx: ValidateContext, issues: IssueSink): FaultSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add('', 'must be a list');
    return [];
  }
  const out: FaultSpec[] = [];
  raw.forEach((f, i) => {
    const s = issues.at(`[${i}]`);
    if (!isMap(f)) {
      s.add('', 'must be a mapping', 'type and attributes');
      return;
    }
    const { type, name, start, duration, ...attrs } = f;
    const faultType = typeof type === 'string' ? ctx.registry.fault(type) : undefined;
    if (typeof type !== 'string') s.add('type', 'is required', `one of ${ctx.registry.faultTypes().join(', ')}`);
    else if (!faultType) s.add('type', `unknown fault type "${type}"${didYouMean(type, ctx.registry.faultTypes())}`, `one of ${ctx.registry.faultTypes().join(', ')}`);
    const startMs = start === undefined ? 0 : parseDuration(start);
    if (startMs === undefined) s.add('start', `is not a duration: ${JSON.stringify(start)}`, 'like 0s, 5s');
    const durationMs = duration === undefined ? undefined : parseDuration(duration);
    if (duration !== undefined && (durationMs === undefined || durationMs <= 0)) s.add('duration', `is not a positive duration: ${JSON.stringify(duration)}`, 'like 20s');
    if (phases && startMs !== undefined && startMs >= phases.during) s.add('start', `starts at ${startMs} ms, after the during phase ends (${phases.during} ms)`);
    if (name !== undefined && typeof name !== 'string') s.add('name', 'must be a string');
    if (!faultType || typeof type !== 'string') return;
    if (faultType.scope === 'target' && cohort.targets?.driver !== faultType.driver) {
      s.add('type', `fault "${type}" acts on ${faultType.driver} targets, so cohort.targets with driver: ${faultType.driver} is required`);
    }
    const parsed = faultType.parse(attrs, s);
    if (parsed === undefined || startMs === undefined) return;
    out.push({
      name: typeof name === 'string' ? name : `${type}#${i + 1}`,
      type,
      driver: faultType.driver,
      scope: faultType.scope,
      attrs: parsed,
      raw: attrs,
      start: startMs,
      ...(durationMs !== undefined ? { duration: durationMs } : {}),
      description: faultType.describe(parsed),
    });
  });
  return out;
}

/** The unit of a rule's allowance: `... + 150ms` -> ms, `+ 0.5%` -> ratio, `+ 10/s` -> rate. */
function unitOf(text: string): 'ms' | 'ratio' | 'rate' | undefined {
  const m = /control\s*[+-]\s*(.+)$/.exec(text.trim());
  return m ? parseValue(m[1]!)?.unit : undefined;
}

function validateAborts(raw: unknown, probes: ProbeSpec[], measures: Map<string, readonly CohortName[] | undefined>, issues: IssueSink, broken: ReadonlySet<string>): AbortSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add('', 'must be a list of stop conditions');
    return [];
  }
  const out: AbortSpec[] = [];
  raw.forEach((a, i) => {
    const s = issues.at(`[${i}]`);
    if (typeof a !== 'string') {
      s.add('', 'must be a stop condition string', 'like "shop.errors.rate > 20% min 20"');
      return;
    }
    const spec = parseAbort(a, s);
    if (!spec) return;
    const probe = probes.find((p) => p.name === spec.probe);
    if (!probe && broken.has(spec.probe)) return;
    if (!probe) s.add('', `stop condition refers to unknown probe "${spec.probe}"`, probes.length ? `one of ${probes.map((p) => p.name).join(', ')}` : 'a probe in hypothesis.probes');
    else if (probe.kind !== 'signals') s.add('', `stop conditions watch signals probes; "${probe.name}" is a ${probe.type} probe`);
    else if (spec.kind !== 'sequential' && !(SIGNAL_FIELDS as readonly string[]).includes(spec.field)) {
      s.add('', `unknown signal field "${spec.field}"`, `one of ${SIGNAL_FIELDS.join(', ')}`);
    } else if ((spec.kind === 'sequential' || spec.kind === 'guard-vs-control') && cannotCompare(probe, measures)) {
      s.add('', `"${spec.text}" compares the canary with the control, and could never fire: ${cannotCompare(probe, measures)}`);
    } else if (spec.kind === 'guard' && spec.cohort && spec.cohort !== 'all' && measures.get(probe.name) && !measures.get(probe.name)!.includes(spec.cohort)) {
      s.add('', `"${spec.text}" watches the ${spec.cohort} cohort, which probe "${probe.name}" does not measure here: it could never fire`);
    } else if (spec.kind === 'sequential' && spec.signal === 'errors' && probes.length && probe.type.endsWith('saturation')) {
      s.add('', `"${spec.text}" counts errors, which a ${probe.type} probe does not measure: it could never fire`);
    } else out.push(spec);
  });
  return out;
}

function validateActions(raw: unknown, ctx: ValidateContext, issues: IssueSink): ProbeSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add('', 'must be a list');
    return [];
  }
  const out: ProbeSpec[] = [];
  raw.forEach((a, i) => {
    const spec = validateProbe(a, {}, ctx, issues.at(`[${i}]`), `rollback-${i + 1}`);
    if (spec && spec.kind !== 'value') issues.at(`[${i}]`).add('type', `a rollback runs once; "${spec.type}" is a signals probe`);
    else if (spec) out.push(spec);
  });
  return out;
}

/** A traffic share: `5%` or a fraction below 1. A bare 1 or more is refused: 1 could mean 1% or 100%. */
function share(v: unknown, key: string, s: IssueSink): number | undefined {
  if (v === undefined) {
    s.add(key, 'is required', 'a percentage like 5%');
    return undefined;
  }
  const bare = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : undefined;
  const f = bare !== undefined && bare >= 1 ? undefined : parseFraction(v);
  if (f === undefined) s.add(key, `is not a share: ${JSON.stringify(v)}`, 'a percentage like 5%, or a fraction below 1 like 0.05');
  return f;
}

/** A target percentage: `50%`, or a bare number taken as a percentage (50 -> 50%, 1 -> 1%). */
function percentOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

function phaseList(v: unknown, s: IssueSink): PhaseName[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => PHASES.includes(x as PhaseName))) {
    s.add('', `must list phases, got ${JSON.stringify(v)}`, 'before, during, after');
    return undefined;
  }
  return list as PhaseName[];
}

function stringList(v: unknown, path: string, issues: IssueSink): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    issues.add(path, 'must be a list of strings');
    return [];
  }
  return v;
}

function isMap(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'experiment';
}
