import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import { runCommand } from './commands/run.js';
import { validateCommand } from './commands/validate.js';
import { recoverCommand } from './commands/recover.js';
import { injectCommand } from './commands/inject.js';
import { extraCommands } from './commands/index.js';
import { commandRunning, installLastResort } from './last-resort.js';
import { reportError } from './shared.js';

/** Builds the `firebreak` program; exported so tests can drive it in-process. */
export function buildProgram(): Command {
  const program = new Command('firebreak')
    .description('Chaos experiments as steady-state hypotheses: faults to a canary cohort, judged against a control, always reverted.')
    .version(VERSION, '-V, --version')
    .option('--log-level <level>', 'pino log level for the JSON logs on stderr (fatal, error, warn, info, debug, trace, silent)')
    .option('--ledger <file>', 'fault ledger (default .firebreak/ledger.jsonl, or FIREBREAK_LEDGER)')
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of [runCommand(), validateCommand(), recoverCommand(), injectCommand(), ...extraCommands()]) {
    program.addCommand(cmd.exitOverride());
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return 0;
      return EXIT.invalid;
    }
    return reportError(err);
  }
}

/** The process entry: `main` with the last-resort handler that reverts before an unexpected exit. */
export async function cliEntry(argv: string[]): Promise<void> {
  installLastResort();
  const done = main(argv);
  commandRunning(done);
  process.exitCode = await done;
}

const invoked = process.argv[1] ?? '';
if (/firebreak(\.js)?$|cli[\\/]main\.(ts|js)$/.test(invoked)) await cliEntry(process.argv);
