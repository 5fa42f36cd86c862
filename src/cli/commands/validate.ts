import { Command } from 'commander';
import { formatIssue } from '../../experiment/issues.js';
import { decidabilityWarnings } from '../../experiment/decidable.js';
import { expandPaths, loadExperimentFile } from '../../experiment/loader.js';
import { parseVarFlags } from '../../experiment/variables.js';
import { EXIT } from '../../errors.js';
import { printProblem } from '../errors.js';
import { collect } from '../shared.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check experiment files (every problem at once, with file:line:column); touches nothing')
    .argument('<paths...>', 'experiment files or directories')
    .option('--var <name=value>', 'set a variable (repeatable)', collect, [])
    .option('--var-file <file>', 'read variables from a YAML/JSON/.env file (repeatable)', collect, [])
    .action((paths: string[], opts: { var: string[]; varFile: string[] }) => {
      const files = expandPaths(paths);
      const vars = parseVarFlags(opts.var);
      let bad = 0;
      for (const file of files) {
        const loaded = loadExperimentFile(file, { vars, varFiles: opts.varFile });
        if (loaded.issues.length) {
          bad++;
          for (const i of loaded.issues) process.stderr.write(formatIssue(i) + '\n');
        } else {
          process.stdout.write(`${file}: ok (${loaded.experiment!.title})\n`);
          for (const w of decidabilityWarnings(loaded.experiment!)) process.stderr.write(`${file}: warning: ${w}\n`);
        }
      }
      process.exitCode = bad ? EXIT.invalid : EXIT.valid;
      if (bad) printProblem('FIREBREAK_E_INVALID', `${bad} of ${files.length} file(s) invalid`);
    });
}
