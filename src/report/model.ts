import { existsSync, readFileSync } from 'node:fs';
import type { Journal, Status } from '../engine/journal.js';
import type { HistoryEntry, SuiteEntry as SuiteHistory } from '../history/history.js';
import type { Gate, SuiteResult } from '../suite/run.js';
import type { Score } from '../suite/score.js';

/** One experiment in a report: its verdict against its expectation, and its journal when there is one. */
export interface ReportCase {
  title: string;
  source: string;
  status?: Status;
  expect: Status[];
  gate: Gate;
  reason: string;
  weight: number;
  critical: boolean;
  journal?: Journal;
  journalPath?: string;
}

/** One suite run (or a set of runs reported together). */
export interface ReportSuite {
  name: string;
  runId: string;
  startedAt: string;
  endedAt: string;
  gate: 'passed' | 'failed';
  halted?: string;
  score?: Pick<Score, 'value' | 'text' | 'coverage' | 'stale'>;
  cases: ReportCase[];
}

/** What every report format renders: suite runs, and the history for trends. */
export interface ReportModel {
  title: string;
  generatedAt: string;
  suites: ReportSuite[];
  history: HistoryEntry[];
}

export function reportSuiteOf(r: SuiteResult): ReportSuite {
  return {
    name: r.suite.name, runId: r.suiteRunId, startedAt: r.startedAt, endedAt: r.endedAt, gate: r.gate, ...(r.halted ? { halted: r.halted } : {}),
    score: r.score,
    cases: r.outcomes.map((o) => ({
      title: o.title, source: o.entry.path, ...(o.status ? { status: o.status } : {}), expect: o.entry.expect, gate: o.gate, reason: o.reason,
      weight: o.entry.weight, critical: o.entry.critical, ...(o.journal ? { journal: o.journal } : {}), ...(o.journalPath ? { journalPath: o.journalPath } : {}),
    })),
  };
}

/** Journals reported on their own: each expected to hold; a verdict that could not test is an error. */
export function reportSuiteOfJournals(name: string, journals: { journal: Journal; path?: string }[]): ReportSuite {
  const cases: ReportCase[] = journals.map(({ journal, path }) => {
    const status = journal.verdict.status;
    const faultLeft = journal.faults.some((f) => f.appliedAt && !f.revertedAt);
    const gate: Gate = faultLeft || ['failed', 'not-steady', 'interrupted'].includes(status) ? 'error' : status === 'held' || status === 'planned' ? 'pass' : status === 'inconclusive' ? 'skipped' : 'fail';
    return { title: journal.experiment.title, source: journal.experiment.source, status, expect: ['held'], gate, reason: journal.verdict.reason, weight: 1, critical: false, journal, ...(path ? { journalPath: path } : {}) };
  });
  const times = journals.map((j) => j.journal.startedAt).sort();
  const ends = journals.map((j) => j.journal.endedAt ?? j.journal.startedAt).sort();
  return {
    name, runId: journals.map((j) => j.journal.runId).join('+').slice(0, 40), startedAt: times[0] ?? new Date().toISOString(), endedAt: ends[ends.length - 1] ?? new Date().toISOString(),
    gate: cases.every((c) => c.gate === 'pass' || c.gate === 'skipped') ? 'passed' : 'failed', cases,
  };
}

/** A suite run as history recorded it, with each journal read back where it still exists. */
export function reportSuiteOfHistory(e: SuiteHistory): ReportSuite {
  return {
    name: e.suite, runId: e.suiteRunId, startedAt: e.at, endedAt: e.at, gate: e.gate, ...(e.halted ? { halted: e.halted } : {}),
    score: { value: e.score.value, text: e.score.text, coverage: e.score.coverage, stale: e.score.stale },
    cases: e.outcomes.map((o) => {
      const journal = o.journal && existsSync(o.journal) ? (JSON.parse(readFileSync(o.journal, 'utf8')) as Journal) : undefined;
      return {
        title: o.experiment, source: o.source, ...(o.status ? { status: o.status } : {}), expect: o.expect, gate: o.gate as Gate,
        reason: journal?.verdict.reason ?? (o.status ? `${o.status}` : 'not run'), weight: 1, critical: false,
        ...(journal ? { journal } : {}), ...(o.journal ? { journalPath: o.journal } : {}),
      };
    }),
  };
}

/** The failing evidence of a case, as plain lines (for JUnit bodies and Markdown details). */
export function evidenceLines(c: ReportCase): string[] {
  const j = c.journal;
  if (!j) return [c.reason];
  const lines = [`${j.verdict.status.toUpperCase()} (exit ${j.verdict.exitCode}): ${j.verdict.reason}`];
  for (const w of j.warnings ?? []) lines.push(`warning: ${w}`);
  for (const e of j.verdict.evidence) {
    if (e.outcome === 'pass') continue;
    const seen = e.observed === null || e.observed === undefined ? 'nothing' : typeof e.observed === 'string' ? e.observed : JSON.stringify(e.observed);
    lines.push(`${e.outcome.toUpperCase()} [${e.phase ?? ''}${e.cohort ? `/${e.cohort}` : ''}] ${e.check}: expected ${e.expected}; observed ${seen}${e.reason ? `; ${e.reason}` : ''}`);
  }
  for (const f of j.faults) if (f.appliedAt && !f.revertedAt) lines.push(`FAULT NOT REVERTED: ${f.description}${f.target ? ` on ${f.target.name}` : ''} (${f.id}); run firebreak recover`);
  for (const e of j.errors) lines.push(`error [${e.phase}]${e.code ? ` ${e.code}` : ''}: ${e.message}`);
  return lines;
}
