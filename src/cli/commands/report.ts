import { Command } from 'commander';
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FirebreakError } from '../../errors.js';
import type { Journal } from '../../engine/journal.js';
import { History, type SuiteEntry } from '../../history/history.js';
import { reportSuiteOfHistory, reportSuiteOfJournals, type ReportModel } from '../../report/model.js';
import type { OutputFlags } from '../output.js';
import { REPORT_FORMATS, renderReport, writeReports, type ReportFormat } from '../../report/write.js';

interface ReportFlags extends OutputFlags {
  format?: string;
  out?: string;
  history?: string;
  suite?: string;
  last: string;
  title?: string;
}

export function reportCommand(): Command {
  return new Command('report')
    .description('render journals, or the suite runs history recorded, as JUnit XML, Markdown or a self-contained HTML report')
    .argument('[journals...]', 'journal files or directories (without them: the latest suite runs from history)')
    .option('--format <format>', `one of ${REPORT_FORMATS.join(', ')}`)
    .option('--json', 'the report\'s data as one JSON document (same as --format json)')
    .option('-q, --quiet', 'no note when the report is written to a file')
    .option('--out <file>', 'write here (default: stdout)')
    .option('--history <file>', 'history file (default .firebreak/history.jsonl, or FIREBREAK_HISTORY)')
    .option('--suite <name>', 'from history: only this suite')
    .option('--last <n>', 'from history: how many suite runs', '1')
    .option('--title <text>', 'the report\'s title')
    .addHelpText('after', `
Examples:
  firebreak report --format html --out report.html                 # the latest suite run, from history
  firebreak report --format junit .firebreak/journals/ --out junit.xml
  firebreak report --format markdown-summary --suite pre-release >> "$GITHUB_STEP_SUMMARY"`)
    .action((paths: string[], flags: ReportFlags) => {
      if (flags.json && flags.format && flags.format !== 'json') throw new FirebreakError('FIREBREAK_E_USAGE', `--json is --format json; it cannot be combined with --format ${flags.format}`);
      if (!flags.json && !flags.format) throw new FirebreakError('FIREBREAK_E_USAGE', `give --format (${REPORT_FORMATS.join(', ')}) or --json`);
      const format = (flags.json ? 'json' : flags.format) as ReportFormat;
      if (!REPORT_FORMATS.includes(format)) throw new FirebreakError('FIREBREAK_E_USAGE', `--format must be one of ${REPORT_FORMATS.join(', ')}, got ${JSON.stringify(flags.format)}`);
      const last = Number(flags.last);
      if (!Number.isInteger(last) || last < 1) throw new FirebreakError('FIREBREAK_E_USAGE', `--last takes a whole number >= 1, got ${JSON.stringify(flags.last)}`);
      const history = new History(flags.history);
      const entries = history.read();
      let model: ReportModel;
      if (paths.length) {
        const journals = readJournals(paths);
        model = { title: flags.title ?? 'firebreak report', generatedAt: new Date().toISOString(), suites: [reportSuiteOfJournals('journals', journals)], history: entries };
      } else {
        const suites = (entries.filter((e) => e.kind === 'suite' && (!flags.suite || e.suite === flags.suite)) as SuiteEntry[]).slice(-last);
        if (suites.length === 0) throw new FirebreakError('FIREBREAK_E_USAGE', `no suite run${flags.suite ? ` of "${flags.suite}"` : ''} in ${history.path}; give journal files instead`);
        model = { title: flags.title ?? `firebreak: ${suites[suites.length - 1]!.suite}`, generatedAt: new Date().toISOString(), suites: suites.map(reportSuiteOfHistory), history: entries };
      }
      if (flags.out) {
        writeReports(model, [{ format, path: flags.out }]);
        if (!flags.quiet) process.stderr.write(`firebreak: ${format} report written to ${flags.out}\n`);
      } else process.stdout.write(renderReport(model, format));
    });
}

function readJournals(paths: string[]): { journal: Journal; path: string }[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FirebreakError('FIREBREAK_E_USAGE', `no such file or directory: ${p}`);
    }
    if (st.isDirectory()) files.push(...readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => join(p, f)));
    else files.push(p);
  }
  const out: { journal: Journal; path: string }[] = [];
  for (const f of files) {
    let j: Journal;
    try {
      j = JSON.parse(readFileSync(f, 'utf8')) as Journal;
    } catch (err) {
      throw new FirebreakError('FIREBREAK_E_USAGE', `${f} is not a journal: ${(err as Error).message}`);
    }
    if (j?.schema !== 'firebreak.journal/v1') throw new FirebreakError('FIREBREAK_E_USAGE', `${f} is not a firebreak journal (schema ${JSON.stringify(j?.schema)})`);
    out.push({ journal: j, path: f });
  }
  if (out.length === 0) throw new FirebreakError('FIREBREAK_E_USAGE', `no journals in ${paths.join(', ')}`);
  return out;
}
