import { reachText } from './progress.js';
import type { Journal } from '../engine/journal.js';

const MARK: Record<string, string> = { pass: '✓', fail: '✗', inconclusive: '?', error: '!' };

/** The human summary of one run, printed on stdout. */
export function formatSummary(j: Journal, journalPath?: string): string {
  const lines = [`${j.experiment.title}: ${j.verdict.status.toUpperCase()} (exit ${j.verdict.exitCode})`, `  ${j.verdict.reason}`];
  for (const w of j.warnings ?? []) lines.push(`  ! WARNING: ${w}`);
  for (const e of j.verdict.evidence) {
    const extra = [e.test, e.pValue !== undefined ? `p=${e.pValue.toPrecision(3)}` : undefined, e.interval ? `CI [${e.interval.map((x) => x.toPrecision(3)).join(', ')}]` : undefined, samplesText(e.samples)]
      .filter(Boolean)
      .join(', ');
    const seen = e.observed === null || e.observed === undefined ? 'nothing' : typeof e.observed === 'string' ? e.observed : JSON.stringify(e.observed);
    lines.push(`  ${MARK[e.outcome] ?? '-'} [${e.phase ?? ''}${e.cohort ? `/${e.cohort}` : ''}] ${e.check}: observed ${seen}${extra ? ` (${extra})` : ''}`);
    if (e.outcome !== 'pass' && e.reason) lines.push(`      ${e.reason}`);
    if (e.note) lines.push(`      note: ${e.note}`);
  }
  for (const p of j.phases) {
    for (const [probe, cohorts] of Object.entries(p.signals)) {
      for (const [cohort, w] of Object.entries(cohorts ?? {})) {
        if (w?.generator && !w.generator.trustworthy) lines.push(`  ! ${p.phase} ${probe}/${cohort}: the load generator was not trustworthy: ${w.generator.note ?? ''}`);
      }
    }
  }
  for (const s of j.stopConditions ?? []) if (s.looks === 0) lines.push(`  ! stop condition "${s.check}" ${s.note ?? 'never evaluated'}`);
  for (const f of j.faults) {
    lines.push(`  fault ${f.id} ${f.description}${f.target ? ` on ${f.target.name}` : ''}: ${f.revertedAt ? (f.ledgerError ? 'reverted, not ledgered' : 'reverted') : f.appliedAt ? 'NOT REVERTED' : 'not applied'}${f.error ? ` (${f.error})` : ''}${f.reach ? `; ${reachText(f.reach)}` : ''}`);
  }
  if (journalPath) lines.push(`  journal: ${journalPath}`);
  return lines.join('\n');
}

/** A table of verdicts for several runs (suites, the demo). */
export function formatVerdictTable(rows: { title: string; status: string; exitCode: number; reason: string }[]): string {
  const w = Math.max(10, ...rows.map((r) => r.title.length));
  const s = Math.max(7, ...rows.map((r) => r.status.length));
  const head = `${'experiment'.padEnd(w)}  ${'verdict'.padEnd(s)}  why`;
  return [head, '-'.repeat(head.length + 20), ...rows.map((r) => `${r.title.padEnd(w)}  ${r.status.padEnd(s)}  ${r.reason.length > 110 ? r.reason.slice(0, 107) + '...' : r.reason}`)].join('\n');
}

/** The sample sizes a check stood on, in a few words. */
function samplesText(s: Record<string, number> | undefined): string | undefined {
  if (!s) return undefined;
  const parts = Object.entries(s).map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(' ') : undefined;
}
