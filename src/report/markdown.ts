import type { ReportCase, ReportModel, ReportSuite } from './model.js';
import { evidenceLines } from './model.js';
import { stripIllegal } from './xml.js';

/** Size caps: what GitHub takes in a pull-request comment, and in a job's step summary. */
export const MARKDOWN_LIMITS = { comment: 60_000, summary: 1_000_000 } as const;

const ICON: Record<string, string> = { pass: '✅', fail: '❌', error: '⚠️', skipped: '⏭️' };

/**
 * Markdown (GitHub Flavored) for pull-request comments and CI step summaries: per suite run a verdict
 * table, then the evidence of every miss in a collapsed `<details>`. Held within `maxBytes` (default
 * the comment cap) without losing a failure: the table lists every experiment that missed (its reasons
 * shortened as needed, passing rows folded into a count as a last resort), then the details are added
 * misses first, each as long as still fits, and what did not fit is named as left to the journals.
 */
export function renderMarkdown(model: ReportModel, opts: { maxBytes?: number } = {}): string {
  const max = opts.maxBytes ?? MARKDOWN_LIMITS.comment;
  const reserve = 400;
  let tables: string[][] = [];
  for (const t of [
    { why: 240, fold: false }, { why: 120, fold: false }, { why: 60, fold: false }, { why: 40, fold: true }, { why: 0, fold: true },
  ]) {
    tables = model.suites.map((s) => tableOf(s, t.why, t.fold));
    if (bytes([header(model), ...tables.flat()].join('\n')) <= max - reserve) break;
  }
  const parts: string[] = [header(model)];
  const blocks: { suite: number; lines: () => string[][] }[] = [];
  let used = bytes([header(model), ...tables.flat()].join('\n'));
  const extra: string[][] = model.suites.map(() => []);
  let omitted = 0;
  model.suites.forEach((s, si) => {
    const ordered = [...s.cases.filter((c) => c.gate !== 'pass'), ...s.cases.filter((c) => c.gate === 'pass')];
    for (const c of ordered) blocks.push({ suite: si, lines: () => [Infinity, 40, 4, 1].map((n) => details(c, n)) });
  });
  for (const b of blocks) {
    const fit = b.lines().find((d) => used + bytes(d.join('\n')) + 1 <= max - reserve);
    if (!fit) {
      omitted++;
      continue;
    }
    extra[b.suite]!.push(...fit);
    used += bytes(fit.join('\n')) + 1;
  }
  model.suites.forEach((_, si) => parts.push(...tables[si]!, ...extra[si]!));
  if (omitted) parts.push(`_${omitted} more experiment(s)' evidence did not fit in ${max} bytes: their journals hold it._`, '');
  const text = parts.join('\n');
  if (bytes(text) <= max) return text;
  // Thousands of experiments: keep what fits, and say so.
  const note = `\n\n_(cut to ${max} bytes: the journals hold everything)_\n`;
  let cut = text.slice(0, Math.max(0, max - bytes(note)));
  while (bytes(cut) > max - bytes(note)) cut = cut.slice(0, -100);
  return cut + note;
}

function header(model: ReportModel): string {
  return `# ${inline(model.title)}\n`;
}

function bytes(s: string): number {
  return Buffer.byteLength(s);
}

function tableOf(s: ReportSuite, why: number, fold: boolean): string[] {
  const out: string[] = [];
  const misses = s.cases.filter((c) => c.gate !== 'pass');
  out.push(`## ${inline(s.name)}: ${s.gate === 'passed' ? 'gate passed' : 'GATE FAILED'}`, '');
  const facts = [
    s.score ? `score ${inline(s.score.text)}` : undefined,
    `${s.cases.length - misses.length} of ${s.cases.length} met their expectation`,
    `${s.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
  ].filter(Boolean);
  out.push(facts.join(' · '), '');
  if (s.halted) out.push(`**Stopped early:** ${inline(s.halted)}`, '');
  out.push(`| | experiment | verdict | expected |${why ? ' why |' : ''}`, `| --- | --- | --- | --- |${why ? ' --- |' : ''}`);
  const rows = fold ? misses : s.cases;
  for (const c of rows) out.push(`| ${ICON[c.gate] ?? ''} | ${cell(c.title, 120)} | ${c.status ?? 'not run'} | ${c.expect.join(', ')} |${why ? ` ${cell(c.reason, why)} |` : ''}`);
  if (fold && misses.length < s.cases.length) out.push(`| ${ICON.pass} | *and ${s.cases.length - misses.length} more that met their expectation* | | |${why ? ' |' : ''}`);
  out.push('');
  return out;
}

function details(c: ReportCase, maxLines: number): string[] {
  const lines = evidenceLines(c);
  const shown = lines.slice(0, Math.max(1, maxLines));
  if (shown.length < lines.length) shown.push(`... ${lines.length - shown.length} more line(s) in the journal${c.journalPath ? ` (${c.journalPath})` : ''}`);
  const body = shown.map((l) => stripIllegal(l)).join('\n');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return [
    `<details><summary>${ICON[c.gate] ?? ''} ${inline(c.title)}: ${c.status ?? 'not run'} (expected ${c.expect.join(' or ')})</summary>`,
    '',
    `${fence}text`,
    body,
    fence,
    '',
    '</details>',
    '',
  ];
}

/** Text safe inside Markdown and HTML: no tags, no table breaks, one line. */
function inline(s: string): string {
  return stripIllegal(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

function cell(s: string, max: number): string {
  const one = inline(s).replace(/\|/g, '\\|');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function longestBacktickRun(s: string): number {
  let best = 0;
  for (const m of s.matchAll(/`+/g)) best = Math.max(best, m[0].length);
  return best;
}
