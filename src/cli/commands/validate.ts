import { Command } from 'commander';
import { formatIssue, type Issue } from '../../experiment/issues.js';
import { decidabilityWarnings } from '../../experiment/decidable.js';
import { expandPaths, loadExperimentFile } from '../../experiment/loader.js';
import { parseVarFlags } from '../../experiment/variables.js';
import { EXIT } from '../../errors.js';
import { Output, withOutputFlags, type OutputFlags } from '../output.js';
import { collect } from '../shared.js';

interface FileResult {
  file: string;
  valid: boolean;
  title?: string;
  issues: Issue[];
  /** Checks that can never reach a decision with these phases, tick and rate. */
  warnings: string[];
}

export function validateCommand(): Command {
  return withOutputFlags(
    new Command('validate')
      .description('check experiment files (every problem at once, with file:line:column); touches nothing')
      .argument('<paths...>', 'experiment files or directories (a directory: its experiments; journals, suites and other files are skipped)')
      .option('--var <name=value>', 'set a variable (repeatable)', collect, [])
      .option('--var-file <file>', 'read variables from a YAML/JSON/.env file (repeatable)', collect, []),
    'one JSON document: every file with its problems and warnings',
  )
    .addHelpText('after', `
Problems go to stderr as file:line:column: path: message (expected ...); "ok" lines and warnings
about checks that can never decide go to stdout. Exit 0 when every file is valid, 64 otherwise.

Examples:
  firebreak validate experiments/
  firebreak validate checkout-latency.yaml --var payments_url=http://127.0.0.1:8081
  firebreak validate experiments/ --json | jq '.files[] | select(.valid == false)'`)
    .action((paths: string[], opts: OutputFlags & { var: string[]; varFile: string[] }) => {
      const out = new Output(opts);
      const skipped: { file: string; reason: string }[] = [];
      const files = expandPaths(paths, (file, reason) => skipped.push({ file, reason }));
      const vars = parseVarFlags(opts.var);
      const results: FileResult[] = files.map((file) => {
        const loaded = loadExperimentFile(file, { vars, varFiles: opts.varFile });
        if (loaded.issues.length) return { file, valid: false, issues: loaded.issues, warnings: [] };
        return { file, valid: true, title: loaded.experiment!.title, issues: [], warnings: decidabilityWarnings(loaded.experiment!) };
      });
      const bad = results.filter((r) => !r.valid).length;
      for (const s of skipped) out.note(`${s.file}: skipped, not an experiment (${s.reason})`);
      for (const r of results) {
        if (!out.json) for (const i of r.issues) out.problem(formatIssue(i));
        if (r.valid) out.note(`${r.file}: ok (${r.title})`);
        for (const w of r.warnings) out.result(`${r.file}: warning: ${w}`);
      }
      out.document({ valid: results.length - bad, invalid: bad, files: results, skipped });
      process.exitCode = bad ? EXIT.invalid : EXIT.valid;
      if (bad && !out.json) out.problem(`firebreak: ${bad} of ${files.length} file(s) invalid`);
    });
}
