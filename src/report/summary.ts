import type { Journal } from '../engine/journal.js';

const MARK: Record<string, string> = { pass: '✓', fail: '✗', inconclusive: '?', error: '!' };

/** The human summary of one run, printed on stdout. */
export function formatSummary(j: Journal, journalPath?: string): string {
  const lines = [`${j.experiment.title}: ${j.verdict.status.toUpperCase()} (exit ${j.verdict.exitCode})`, `  ${j.verdict.reason}`];
  for (const e of j.verdict.evidence) {
    const extra = [e.test, e.pValue !== undefined ? `p=${e.pValue.toPrecision(3)}` : undefined, e.interval ? `CI [${e.interval.map((x) => x.toPrecision(3)).join(', ')}]` : undefined]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${MARK[e.outcome] ?? '-'} [${e.phase ?? ''}${e.cohort ? `/${e.cohort}` : ''}] ${e.check}: observed ${typeof e.observed === 'string' ? e.observed : JSON.stringify(e.observed)}${extra ? ` (${extra})` : ''}`);
  }
  for (const f of j.faults) {
    lines.push(`  fault ${f.id} ${f.description}${f.target ? ` on ${f.target.name}` : ''}: ${f.revertedAt ? (f.ledgerError ? 'reverted, not ledgered' : 'reverted') : f.appliedAt ? 'NOT REVERTED' : 'not applied'}${f.error ? ` (${f.error})` : ''}`);
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
