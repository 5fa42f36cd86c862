import { dirname, resolve } from 'node:path';
import { DateTime, IANAZone } from 'luxon';
import { rejectUnknownFields, type Issue, type IssueSink } from '../experiment/issues.js';
import { parseDuration } from '../util/duration.js';
import { loadSuiteFile, longDuration, readValidated } from '../suite/load.js';
import { loadSuiteExperiments } from '../suite/run.js';
import { FireTimes } from './fire-times.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Schedule {
  name: string;
  /** Resolved path of the suite it runs. */
  suite: string;
  cron: string;
  timeZone: string;
  fire: FireTimes;
  /** Local minutes of the day a run may start and end in, [from, to). */
  allowedHours?: { from: number; to: number; text: string };
  allowedDays?: Weekday[];
  blackouts: { from: number; to: number; reason?: string; text: string }[];
  freezeFile?: string;
  overlap: 'skip' | 'queue';
  missed: 'skip' | 'run-latest';
  startingDeadlineMs: number;
  minIntervalMs: number;
  jitterMs: number;
  /** How long a run of its suite takes, for a blackout or the allowed hours at its end. */
  estimatedMs: number;
}

export interface LoadedSchedules {
  schedules?: Schedule[];
  issues: Issue[];
}

const ENTRY = ['name', 'suite', 'cron', 'timeZone', 'allowedHours', 'allowedDays', 'blackouts', 'freezeFile', 'overlap', 'missed', 'startingDeadline', 'minInterval', 'jitter', 'estimatedDuration'];

/** Reads a schedules file: every problem at once with its position; the suites it names are validated too. */
export function loadSchedulesFile(file: string): LoadedSchedules {
  const issues: Issue[] = [];
  const schedules = readValidated(file, issues, (data, sink) => validateSchedules(data, dirname(resolve(file)), sink));
  return { issues, ...(schedules && issues.length === 0 ? { schedules } : {}) };
}

export function validateSchedules(data: unknown, baseDir: string, issues: IssueSink): Schedule[] {
  if (!isMap(data) || !Array.isArray(data.schedules)) {
    issues.add('schedules', 'is required: a list of schedules', '{ schedules: [{ name, suite, cron, timeZone, ... }] }');
    return [];
  }
  for (const k of Object.keys(data)) if (k !== 'schedules') issues.add(k, `unknown field "${k}"`, 'schedules');
  const out: Schedule[] = [];
  const names = new Set<string>();
  data.schedules.forEach((raw, i) => {
    const s = issues.at(`schedules[${i}]`);
    const before = issues.count;
    if (!isMap(raw)) return void s.add('', 'must be a mapping', '{ name, suite, cron, timeZone, ... }');
    rejectUnknownFields(raw, ENTRY, s);
    const name = typeof raw.name === 'string' && /^[A-Za-z0-9][\w.-]*$/.test(raw.name) ? raw.name : undefined;
    if (!name) s.add('name', `must be a simple name, got ${JSON.stringify(raw.name)}`, 'letters, digits, ., - and _');
    else if (names.has(name)) s.add('name', `duplicate schedule name "${name}"`);
    if (name) names.add(name);
    const timeZone = typeof raw.timeZone === 'string' ? raw.timeZone : undefined;
    if (!timeZone) s.add('timeZone', 'is required: a schedule fires at wall-clock times, which mean nothing without a zone', 'an IANA zone like Europe/Berlin or UTC');
    else if (!IANAZone.isValidZone(timeZone)) s.add('timeZone', `unknown time zone "${timeZone}"`, 'an IANA zone like Europe/Berlin or UTC');
    let fire: FireTimes | undefined;
    if (typeof raw.cron !== 'string') s.add('cron', 'is required', 'a cron expression like "0 10 * * tue" (5 fields, or 6 with seconds first)');
    else if (timeZone && IANAZone.isValidZone(timeZone)) {
      try {
        fire = new FireTimes(raw.cron, timeZone);
      } catch (err) {
        s.add('cron', `${(err as Error).message}`, 'a cron expression like "0 10 * * tue"');
      }
    }
    const allowedHours = raw.allowedHours === undefined ? undefined : hoursOf(raw.allowedHours);
    if (raw.allowedHours !== undefined && !allowedHours) s.add('allowedHours', `must be a range of local times like "09:00-17:00", got ${JSON.stringify(raw.allowedHours)}`);
    const allowedDays = raw.allowedDays === undefined ? undefined : daysOf(raw.allowedDays);
    if (raw.allowedDays !== undefined && !allowedDays) s.add('allowedDays', `must list days like [mon, tue, wed], got ${JSON.stringify(raw.allowedDays)}`, WEEKDAYS.join(', '));
    const blackouts = timeZone && IANAZone.isValidZone(timeZone) ? blackoutsOf(raw.blackouts, timeZone, s.at('blackouts')) : [];
    if (raw.freezeFile !== undefined && (typeof raw.freezeFile !== 'string' || !raw.freezeFile)) s.add('freezeFile', 'must be a file path');
    const overlap = raw.overlap ?? 'skip';
    if (overlap !== 'skip' && overlap !== 'queue') s.add('overlap', `must be skip or queue, got ${JSON.stringify(raw.overlap)}`, 'skip: a slot that comes while a run goes on is skipped; queue: at most one waits');
    const missed = raw.missed ?? 'skip';
    if (missed !== 'skip' && missed !== 'run-latest') s.add('missed', `must be skip or run-latest, got ${JSON.stringify(raw.missed)}`, 'skip, or run-latest (the latest missed slot, within startingDeadline)');
    const dur = (key: string, fallback: number): number => {
      if (raw[key] === undefined) return fallback;
      const ms = longDuration(raw[key]);
      if (ms === undefined || typeof raw[key] === 'number') {
        s.add(key, `must be a duration with its unit, got ${JSON.stringify(raw[key])}`, 'like 30m, 6h or 7d');
        return fallback;
      }
      return ms;
    };
    const startingDeadlineMs = dur('startingDeadline', 3_600_000);
    const minIntervalMs = dur('minInterval', 0);
    const jitterMs = dur('jitter', 0);
    let suite: string | undefined;
    let estimatedMs = raw.estimatedDuration === undefined ? undefined : longDuration(raw.estimatedDuration);
    if (raw.estimatedDuration !== undefined && estimatedMs === undefined) s.add('estimatedDuration', `is not a duration: ${JSON.stringify(raw.estimatedDuration)}`);
    if (typeof raw.suite !== 'string') s.add('suite', 'is required', 'the path of a suite file');
    else {
      suite = resolve(baseDir, raw.suite);
      const loaded = loadSuiteFile(suite);
      for (const issue of loaded.issues) s.add('suite', `${issue.file ?? suite}${issue.line ? `:${issue.line}` : ''}: ${issue.path}: ${issue.message}`);
      if (loaded.suite) {
        const exps = loadSuiteExperiments(loaded.suite);
        for (const issue of exps.issues.slice(0, 5)) s.add('suite', `${issue.file}${issue.line ? `:${issue.line}` : ''}: ${issue.path}: ${issue.message}`);
        // Phases, warm-up, drain and plan and revert time, per experiment.
        estimatedMs ??= exps.loaded.reduce((sum, l) => sum + (l.experiment ? l.experiment.phases.before + l.experiment.phases.during + l.experiment.phases.after + 10_000 : 0), 0);
      }
    }
    if (issues.count > before || !name || !timeZone || !fire || !suite) return;
    out.push({
      name, suite, cron: raw.cron as string, timeZone, fire, blackouts, overlap: overlap as Schedule['overlap'], missed: missed as Schedule['missed'],
      startingDeadlineMs, minIntervalMs, jitterMs, estimatedMs: estimatedMs ?? 0,
      ...(allowedHours ? { allowedHours } : {}), ...(allowedDays ? { allowedDays } : {}),
      ...(typeof raw.freezeFile === 'string' ? { freezeFile: resolve(baseDir, raw.freezeFile) } : {}),
    });
  });
  return out;
}

function hoursOf(v: unknown): Schedule['allowedHours'] {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(v);
  if (!m) return undefined;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[2]) > 59 || Number(m[4]) > 59 || from > 24 * 60 || to > 24 * 60 || from === to) return undefined;
  return { from, to, text: v.trim() };
}

function daysOf(v: unknown): Weekday[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const days = v.map((d) => (typeof d === 'string' ? d.trim().toLowerCase().slice(0, 3) : ''));
  return days.every((d) => (WEEKDAYS as readonly string[]).includes(d)) ? (days as Weekday[]) : undefined;
}

function blackoutsOf(v: unknown, zone: string, issues: IssueSink): Schedule['blackouts'] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    issues.add('', 'must be a list', '[{ from: 2026-12-20, to: 2027-01-04, reason: holidays }]');
    return [];
  }
  const out: Schedule['blackouts'] = [];
  v.forEach((b, i) => {
    const at = issues.at(`[${i}]`);
    if (!isMap(b)) return void at.add('', 'must be a mapping', '{ from, to, reason? }');
    const from = localTime(b.from, zone, 'start');
    const to = localTime(b.to, zone, 'end');
    if (from === undefined) at.add('from', `must be a local date or date-time like 2026-12-20 or "2026-12-20 18:00", got ${JSON.stringify(b.from)}`);
    if (to === undefined) at.add('to', `must be a local date or date-time, got ${JSON.stringify(b.to)}`);
    if (from !== undefined && to !== undefined && to <= from) at.add('to', 'must come after from');
    if (from !== undefined && to !== undefined && to > from) out.push({ from, to, ...(typeof b.reason === 'string' ? { reason: b.reason } : {}), text: `${String(b.from)} to ${String(b.to)}` });
  });
  return out;
}

/** A local date (the whole day: its start, or the end of it) or date-time in the zone, as epoch ms. */
function localTime(v: unknown, zone: string, edge: 'start' | 'end'): number | undefined {
  const text = v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === 'string' ? v.trim() : undefined;
  if (!text) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const d = DateTime.fromISO(text, { zone });
    return d.isValid ? (edge === 'start' ? d.startOf('day') : d.plus({ days: 1 }).startOf('day')).toMillis() : undefined;
  }
  const d = DateTime.fromISO(text.replace(' ', 'T'), { zone });
  return d.isValid ? d.toMillis() : undefined;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

