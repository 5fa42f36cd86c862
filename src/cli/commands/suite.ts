import { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { RunEvents } from '../../engine/events.js';
import { formatIssue } from '../../experiment/issues.js';
import { History } from '../../history/history.js';
import { attachProgress } from '../../report/progress.js';
import { formatVerdictTable } from '../../report/summary.js';
import { reportSuiteOf, type ReportModel } from '../../report/model.js';
import { parseReportSpec, writeReports, type ReportSpec } from '../../report/write.js';
import { loadSuiteExperiments, runSuite, type SuiteResult } from '../../suite/run.js';
import { loadSuiteFile } from '../../suite/load.js';
import { collect, globalOptions, loggerFor, trapSignals } from '../shared.js';

interface SuiteFlags {
  journal: string;
  report: string[];
  history?: string;
  json?: boolean;
  jsonLines?: boolean;
  quiet?: boolean;
}

export function suiteCommand(): Command {
  return new Command('suite')
    .description('run a suite of experiments one after another, each against its expected verdict; the exit code gates a release')
    .argument('<file>', 'suite file (YAML or JSON)')
    .option('--journal <dir>', 'where each experiment\'s journal goes', '.firebreak/journals')
    .option('--report <format:file>', 'write a report: junit:<file>, markdown:<file> (60 KB cap), markdown-summary:<file> (1 MB cap), html:<file> (repeatable)', collect, [])
    .option('--history <file>', 'history file (default .firebreak/history.jsonl, or FIREBREAK_HISTORY)')
    .option('--json', 'the result as one JSON document on stdout: the gate, the score, every verdict (no table)')
    .option('--json-lines', 'one JSON line per verdict as it comes, then one for the suite (for long suites in CI logs)')
    .option('-q, --quiet', 'print only the result and problems: no progress, no notes')
    .addHelpText('after', `
Examples:
  firebreak suite experiments/demo.suite.yaml
  firebreak suite suites/pre-release.yaml --report junit:out/firebreak.xml --report markdown:out/firebreak.md

Exit codes: 0 every expectation met; 6 the gate failed (a verdict outside its expectation, an
experiment that could not test, a guard that halted the suite); 4 a fault could not be reverted;
64 an invalid suite or experiment (nothing ran); 130 interrupted (faults reverted).`)
    .action(async (file: string, flags: SuiteFlags, cmd: Command) => {
      const specs: ReportSpec[] = flags.report.map(parseReportSpec);
      const { suite, issues } = loadSuiteFile(file);
      if (!suite) {
        for (const i of issues) process.stderr.write(formatIssue(i) + '\n');
        process.stderr.write(`firebreak: ${file} is not a valid suite; nothing was run\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const experiments = loadSuiteExperiments(suite);
      if (experiments.issues.length) {
        for (const i of experiments.issues) process.stderr.write(formatIssue(i) + '\n');
        process.stderr.write(`firebreak: ${experiments.loaded.filter((l) => l.issues.length).length} experiment(s) of the suite are invalid; nothing was run\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const history = new History(flags.history);
      const trap = trapSignals();
      const ledger = globalOptions(cmd).ledger;
      let result: SuiteResult;
      try {
        result = await runSuite(suite, experiments.loaded, {
          logger: loggerFor(cmd), interruption: trap.interruption, journalDir: flags.journal, history,
          ...(ledger ? { ledgerPath: ledger } : {}),
          eventsFor: () => {
            const events = new RunEvents();
            attachProgress(events, process.stderr, { quiet: Boolean(flags.quiet) });
            return events;
          },
          onStart: (entry, i) => {
            if (!flags.quiet) process.stderr.write(`[${i + 1}/${suite.experiments.length}] ${entry.path}\n`);
          },
          onOutcome: (o) => {
            if (flags.jsonLines) process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), msg: 'verdict', suite: suite.name, experiment: o.title, source: o.entry.path, status: o.status ?? null, expect: o.entry.expect, gate: o.gate, journal: o.journalPath ?? null }) + '\n');
          },
        });
      } finally {
        trap.release();
      }
      const model: ReportModel = { title: `firebreak: ${suite.name}`, generatedAt: new Date().toISOString(), suites: [reportSuiteOf(result)], history: history.read() };
      writeReports(model, specs);
      const summary = { suite: suite.name, suiteRunId: result.suiteRunId, gate: result.gate, exitCode: result.exitCode, score: result.score.value, scoreText: result.score.text, halted: result.halted ?? null, reports: specs };
      if (flags.jsonLines) {
        process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), msg: 'suite', ...summary }) + '\n');
      } else if (flags.json) {
        const outcomes = result.outcomes.map((o) => ({ experiment: o.title, source: o.entry.path, status: o.status ?? null, expect: o.entry.expect, gate: o.gate, reason: o.reason, journal: o.journalPath ?? null }));
        process.stdout.write(JSON.stringify({ ...summary, outcomes }, null, 2) + '\n');
      } else {
        process.stdout.write(`\n${suite.name}: gate ${result.gate.toUpperCase()} (exit ${result.exitCode}), ${result.score.text}\n`);
        if (result.halted) process.stdout.write(`  stopped early: ${result.halted}\n`);
        process.stdout.write(formatVerdictTable(result.outcomes.map((o) => ({ title: o.title, status: `${o.status ?? 'not run'}${o.gate === 'pass' ? '' : ` (${o.gate}; expected ${o.entry.expect.join('/')})`}`, exitCode: 0, reason: o.reason }))) + '\n');
        for (const s of specs) process.stdout.write(`  ${s.format} report: ${s.path}\n`);
      }
      process.exitCode = result.exitCode;
    });
}
