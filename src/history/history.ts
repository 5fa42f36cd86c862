import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FirebreakError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Journal, Status } from '../engine/journal.js';

/** One experiment run, as history keeps it. */
export interface RunEntry {
  kind: 'run';
  at: string;
  runId: string;
  experiment: string;
  source: string;
  status: Status;
  exitCode: number;
  durationMs?: number;
  journal?: string;
  suiteRunId?: string;
}

/** One suite run: its gate, its score, and each experiment's outcome. */
export interface SuiteEntry {
  kind: 'suite';
  at: string;
  suiteRunId: string;
  suite: string;
  source: string;
  gate: 'passed' | 'failed';
  exitCode: number;
  score: { value: number | null; text: string; coverage: { decided: number; all: number }; stale: number };
  outcomes: { experiment: string; source: string; status?: Status; gate: string; expect: Status[]; journal?: string }[];
  halted?: string;
  schedule?: string;
}

/** What a scheduler did with one slot of a schedule. */
export interface ScheduleEntry {
  kind: 'schedule';
  at: string;
  schedule: string;
  /** The slot's nominal fire time (ISO, UTC). */
  slot: string;
  event: 'started' | 'finished' | 'skipped' | 'missed' | 'queued';
  reason?: string;
  suiteRunId?: string;
  gate?: 'passed' | 'failed';
}

export type HistoryEntry = (RunEntry | SuiteEntry | ScheduleEntry) & { v?: 1 };

export function defaultHistoryPath(): string {
  return resolve(process.env.FIREBREAK_HISTORY ?? join('.firebreak', 'history.jsonl'));
}

/**
 * The history: append-only JSON lines, fsynced, next to the journals. It holds what each run, suite
 * run and scheduler did, so reports can show trends and a scheduler can say why a slot did not run.
 * Readers skip a torn last line; `rebuild` recreates the run entries from the journals.
 */
export class History {
  readonly path: string;

  constructor(path: string = defaultHistoryPath()) {
    this.path = resolve(path);
  }

  append(entry: HistoryEntry): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const line = Buffer.from(JSON.stringify({ v: 1, ...entry }) + '\n');
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      let written = 0;
      while (written < line.length) written += writeSync(fd, line, written, line.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  read(filter: { kind?: HistoryEntry['kind']; experiment?: string; since?: number; schedule?: string } = {}): HistoryEntry[] {
    if (!existsSync(this.path)) return [];
    const out: HistoryEntry[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: HistoryEntry;
      try {
        e = JSON.parse(line) as HistoryEntry;
      } catch {
        continue; // a line torn by a crash, or damaged: history is a record, not a promise
      }
      if (filter.kind && e.kind !== filter.kind) continue;
      if (filter.since !== undefined && Date.parse(e.at) < filter.since) continue;
      if (filter.experiment && !(e.kind === 'run' && (e.experiment === filter.experiment || e.source.endsWith(filter.experiment))) && !(e.kind === 'suite' && e.outcomes.some((o) => o.experiment === filter.experiment))) continue;
      if (filter.schedule && !(e.kind === 'schedule' && e.schedule === filter.schedule) && !(e.kind === 'suite' && e.schedule === filter.schedule)) continue;
      out.push(e);
    }
    return out;
  }

  /** When an experiment (by source path) was last decided (held, deviated or aborted), if ever. */
  lastDecidedAt(source: string): number | undefined {
    let last: number | undefined;
    for (const e of this.read({ kind: 'run' }) as RunEntry[]) {
      if (resolve(e.source) !== resolve(source) || !['held', 'deviated', 'aborted'].includes(e.status)) continue;
      const t = Date.parse(e.at);
      if (last === undefined || t > last) last = t;
    }
    return last;
  }

  /**
   * Keeps only entries newer than `maxAgeMs` (written anew and renamed into place, so a crash leaves
   * either the old or the new file). Returns how many were dropped.
   */
  prune(maxAgeMs: number, now = Date.now()): number {
    if (!existsSync(this.path)) return 0;
    const all = readFileSync(this.path, 'utf8').split('\n').filter((l) => l.trim());
    const kept = all.filter((l) => {
      try {
        return now - Date.parse((JSON.parse(l) as HistoryEntry).at) <= maxAgeMs;
      } catch {
        return false;
      }
    });
    if (kept.length === all.length) return 0;
    writeFileAtomic(this.path, kept.map((l) => l + '\n').join(''));
    return all.length - kept.length;
  }
}

/** The history entry of one experiment run, from its journal. */
export function runEntryOf(journal: Journal, journalPath?: string, suiteRunId?: string): RunEntry {
  return {
    kind: 'run', at: journal.endedAt ?? journal.startedAt, runId: journal.runId, experiment: journal.experiment.title, source: journal.experiment.source,
    status: journal.verdict.status, exitCode: journal.verdict.exitCode, ...(journal.durationMs !== undefined ? { durationMs: journal.durationMs } : {}),
    ...(journalPath ? { journal: resolve(journalPath) } : {}), ...(suiteRunId ? { suiteRunId } : {}),
  };
}

/**
 * Recreates the run entries from the journals in `dir` (and below), for a history that was lost or
 * started late; entries of kinds journals do not hold (suites, schedules) are kept as they are.
 * Returns how many runs it found.
 */
export function rebuildHistory(history: History, dir: string): number {
  const journals: { entry: RunEntry; at: number }[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 4) return;
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (name.endsWith('.json')) {
        try {
          const j = JSON.parse(readFileSync(p, 'utf8')) as Journal;
          if (j.schema === 'firebreak.journal/v1' && j.verdict?.status) journals.push({ entry: runEntryOf(j, p), at: Date.parse(j.endedAt ?? j.startedAt) });
        } catch {
          // not a journal
        }
      } else if (!name.includes('.')) walk(p, depth + 1);
    }
  };
  if (!existsSync(dir)) throw new FirebreakError('FIREBREAK_E_USAGE', `no such directory: ${dir}`);
  walk(resolve(dir), 0);
  const others = history.read().filter((e) => e.kind !== 'run');
  const all = [...others.map((e) => ({ line: e, at: Date.parse(e.at) })), ...journals.map((j) => ({ line: j.entry as HistoryEntry, at: j.at }))].sort((a, b) => a.at - b.at);
  const tmp = `${history.path}.rebuild-${process.pid}`;
  mkdirSync(dirname(tmp), { recursive: true });
  closeSync(openSync(tmp, 'w', 0o600));
  const rebuilt = new History(tmp);
  for (const { line } of all) rebuilt.append(line);
  renameSync(tmp, history.path);
  return journals.length;
}
