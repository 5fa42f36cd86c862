import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FirebreakError } from '../errors.js';
import { scrub } from '../log.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { MARKDOWN_LIMITS, renderMarkdown } from './markdown.js';
import type { ReportModel } from './model.js';

export type ReportFormat = 'junit' | 'markdown' | 'markdown-summary' | 'html' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['junit', 'markdown', 'markdown-summary', 'html', 'json'];

export interface ReportSpec {
  format: ReportFormat;
  path: string;
}

/** `junit:out/report.xml` -> { format, path }; a bad format is a usage error. */
export function parseReportSpec(text: string): ReportSpec {
  const i = text.indexOf(':');
  const format = (i < 0 ? text : text.slice(0, i)) as ReportFormat;
  const path = i < 0 ? '' : text.slice(i + 1);
  if (!REPORT_FORMATS.includes(format) || !path) {
    throw new FirebreakError('FIREBREAK_E_USAGE', `--report takes <format>:<file>, with format one of ${REPORT_FORMATS.join(', ')}; got ${JSON.stringify(text)}`);
  }
  return { format, path };
}

/** One report as text (secrets scrubbed, as everything that leaves the engine). */
export function renderReport(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case 'junit':
      return scrub(renderJunit(model));
    case 'markdown':
      return scrub(renderMarkdown(model, { maxBytes: MARKDOWN_LIMITS.comment }));
    case 'markdown-summary':
      return scrub(renderMarkdown(model, { maxBytes: MARKDOWN_LIMITS.summary }));
    case 'html':
      return scrub(renderHtml(model));
    case 'json':
      // The model the other formats are drawn from, for scripts and other tools.
      return scrub(`${JSON.stringify(model, null, 2)}\n`);
  }
}

/** Writes each requested report atomically (a reader never sees half a file). */
export function writeReports(model: ReportModel, specs: readonly ReportSpec[]): void {
  for (const s of specs) {
    mkdirSync(dirname(s.path), { recursive: true });
    const tmp = `${s.path}.${process.pid}.tmp`;
    writeFileSync(tmp, renderReport(model, s.format), { mode: 0o644 });
    renameSync(tmp, s.path);
  }
}
