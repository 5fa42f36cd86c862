import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import { commandRunning, installLastResort } from './last-resort.js';
import { addLoggingOptions } from './logging.js';

/**
 * Each command's module, loaded only when that command runs: `--version` and `validate` start without
 * the engine, the drivers, the proxy server or the scheduler (ARCHITECTURE.md, "Cold start").
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).runCommand(),
  validate: async () => (await import('./commands/validate.js')).validateCommand(),
  recover: async () => (await import('./commands/recover.js')).recoverCommand(),
  inject: async () => (await import('./commands/inject.js')).injectCommand(),
};

/** The program without its commands: name, version, global options. */
function baseProgram(): Command {
  const program = new Command('firebreak')
    .description('Chaos experiments as steady-state hypotheses: faults to a canary cohort, judged against a control, always reverted.')
    .version(VERSION, '-V, --version')
    .option('--ledger <file>', 'fault ledger (default .firebreak/ledger.jsonl, or FIREBREAK_LEDGER)')
    .showHelpAfterError()
    .exitOverride();
  addLoggingOptions(program);
  return program;
}

/** Builds the `firebreak` program with every command; exported so tests can drive it in-process. */
export async function buildProgram(): Promise<Command> {
  const program = baseProgram();
  const { extraCommands } = await import('./commands/index.js');
  const core = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  for (const cmd of [...core, ...extraCommands()]) program.addCommand(cmd.exitOverride());
  return program;
}

// Global options that take a value, so the word after them is not taken for the command's name.
const VALUED = new Set(['--log-level', '--log-format', '--ledger']);

/** The command named on the command line, if any (after the global options). */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUED.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * The program for this command line: only the named command's module when it is one of the core
 * commands; every command for help, an unknown name or the other commands (whose list lives in
 * commands/index.ts). `--version` alone loads no command at all.
 */
async function programFor(argv: readonly string[]): Promise<Command> {
  const args = argv.slice(2);
  const name = commandName(args);
  const load = name === undefined ? undefined : COMMANDS[name];
  if (load) return baseProgram().addCommand((await load()).exitOverride());
  if (name === undefined && args.some((a) => a === '-V' || a === '--version')) return baseProgram();
  return buildProgram();
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await programFor(argv)).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return 0;
      return EXIT.invalid;
    }
    const { reportError } = await import('./errors.js');
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
