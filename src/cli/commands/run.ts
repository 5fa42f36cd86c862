import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../errors.js';
import { formatIssue } from '../../experiment/issues.js';
import { expandPaths, loadExperimentFile, type Loaded } from '../../experiment/loader.js';
import { parseVarFlags } from '../../experiment/variables.js';
import { writeJournal, type Journal, type Status } from '../../engine/journal.js';
import { formatSummary } from '../../report/summary.js';
import { decidabilityWarnings } from '../../experiment/decidable.js';
import { History, runEntryOf } from '../../history/history.js';
import { reportSuiteOfJournals } from '../../report/model.js';
import { parseReportSpec, writeReports } from '../../report/write.js';
import { collect, runFromCli, worstExit } from '../shared.js';

interface RunFlags {
  journal?: string;
  dryRun?: boolean;
  var: string[];
  varFile: string[];
  seed?: string;
  json?: boolean;
  quiet?: boolean;
  report: string[];
  history?: string;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run experiments: measure, inject into the canary, watch, revert, measure, judge')
    .argument('<paths...>', 'experiment files or directories')
    .option('--journal <path>', 'where to write the journal (a file, or a directory for several runs)')
    .option('--dry-run', 'print the plan (targets, faults, durations) and stop; touches nothing')
    .option('--var <name=value>', 'set a variable (repeatable)', collect, [])
    .option('--var-file <file>', 'read variables from a YAML/JSON/.env file (repeatable)', collect, [])
    .option('--seed <seed>', 'seed for target selection (repeat a run exactly)')
    .option('--json', 'print the journal(s) as JSON on stdout instead of the summary')
    .option('-q, --quiet', 'no progress output')
    .option('--report <format:file>', 'write a report of the runs: junit:<file>, markdown:<file>, markdown-summary:<file>, html:<file> (repeatable)', collect, [])
    .option('--history <file>', 'history file (default .firebreak/history.jsonl, or FIREBREAK_HISTORY)')
    .addHelpText('after', `
Exit codes: 0 held, 1 deviated, 2 aborted (a stop condition tripped), 3 not steady before the
fault (nothing injected), 4 failed (the tool could not do its job), 5 inconclusive (too little
evidence), 64 invalid input (nothing touched), 130 interrupted (faults reverted). With several
files, the most serious.

Examples:
  firebreak run experiments/checkout-latency.yaml
  firebreak run experiments/ --var payments_url=http://127.0.0.1:8081 --report junit:out/firebreak.xml
  firebreak run checkout-latency.yaml --dry-run          # the targets, faults and proxies it would use
  firebreak run checkout-latency.yaml --json -q | jq .verdict`)
    .action(async (paths: string[], flags: RunFlags, cmd: Command) => {
      const specs = flags.report.map(parseReportSpec);
      const files = expandPaths(paths);
      const vars = parseVarFlags(flags.var);
      // Validate everything before touching anything.
      const loaded: Loaded[] = files.map((f) => loadExperimentFile(f, { vars, varFiles: flags.varFile }));
      const invalid = loaded.filter((l) => l.issues.length);
      if (invalid.length) {
        for (const l of invalid) for (const i of l.issues) process.stderr.write(formatIssue(i) + '\n');
        process.stderr.write(`firebreak: ${invalid.length} of ${files.length} experiment(s) invalid; nothing was run\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const statuses: Status[] = [];
      const journals: Journal[] = [];
      const written: { journal: Journal; path: string }[] = [];
      const history = new History(flags.history);
      for (const l of loaded) {
        for (const w of decidabilityWarnings(l.experiment!)) process.stderr.write(`firebreak: ${l.source}: warning: ${w}\n`);
        const result = await runFromCli(cmd, l.experiment!, {
          given: l.given, quiet: Boolean(flags.quiet),
          ...(flags.dryRun ? { dryRun: true } : {}),
          ...(flags.seed ? { seed: flags.seed } : {}),
        });
        statuses.push(result.status);
        journals.push(result.journal);
        if (flags.dryRun) {
          if (!flags.json) process.stdout.write(formatPlan(result.journal) + '\n');
        } else {
          const path = journalPath(flags.journal, result.journal, loaded.length);
          writeJournal(path, result.journal);
          history.append(runEntryOf(result.journal, path));
          written.push({ journal: result.journal, path });
          if (!flags.json) process.stdout.write(formatSummary(result.journal, path) + '\n');
        }
        if (result.interrupted) break;
      }
      if (written.length && specs.length) {
        writeReports({ title: 'firebreak run', generatedAt: new Date().toISOString(), suites: [reportSuiteOfJournals('run', written)], history: history.read() }, specs);
        if (!flags.json) for (const s of specs) process.stdout.write(`${s.format} report: ${s.path}\n`);
      }
      if (flags.json) process.stdout.write(JSON.stringify(journals.length === 1 ? journals[0] : journals, null, 2) + '\n');
      process.exitCode = worstExit(statuses);
    });
}

function journalPath(flag: string | undefined, journal: Journal, count: number): string {
  const name = `${journal.startedAt.replace(/[:.]/g, '-')}-${journal.runId}.json`;
  if (!flag) return join('.firebreak', 'journals', name);
  const isDir = flag.endsWith('/') || (existsSync(flag) && statSync(flag).isDirectory()) || count > 1;
  return isDir ? join(flag, name) : flag;
}

/** The dry-run plan: which targets, which faults, for how long. */
export function formatPlan(j: Journal): string {
  const p = j.plan;
  if (!p) return `${j.experiment.title}: no plan (${j.verdict.reason})`;
  const lines = [`${j.experiment.title}: plan (dry run, nothing touched)`];
  lines.push(`  phases: before ${p.phases.before} ms, during ${p.phases.during} ms, after ${p.phases.after} ms, tick ${p.phases.tick} ms`);
  if (p.targets) {
    lines.push(`  targets (${p.targets.driver}): ${p.targets.canary.length} canary of ${p.targets.considered} considered`);
    for (const t of p.targets.canary) lines.push(`    canary    ${t.name} (${t.id.slice(0, 12)})`);
    for (const t of p.targets.control) lines.push(`    control   ${t.name} (${t.id.slice(0, 12)})`);
    for (const t of p.targets.protected) lines.push(`    protected ${t.name} (${t.id.slice(0, 12)})`);
  }
  for (const f of p.faults) {
    lines.push(`  fault ${f.id}: ${f.description}${f.target ? ` on ${f.target}` : ''}, from ${f.startMs} ms${f.durationMs !== undefined ? ` for ${f.durationMs} ms` : ' to the end of during'}`);
  }
  for (const note of p.notes ?? []) lines.push(`  ${note}`);
  for (const pr of p.probes) lines.push(`  probe ${pr.name} (${pr.type}, ${pr.kind})`);
  for (const a of p.aborts) lines.push(`  stop if ${a}`);
  return lines.join('\n');
}
