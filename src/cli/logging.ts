import { Command, Option } from 'commander';
import { createLogger, parseLogFormat, parseLogLevel, type Logger, type LogFormat, type LogLevel } from '../log.js';
import { colorWanted, unicodeWanted } from '../report/terminal.js';

/** The global options that shape logs and the terminal: `-v`, `--log-level`, `--log-format`, `--no-color`. */
export interface LoggingFlags {
  verbose?: number;
  logLevel?: string;
  logFormat?: string;
  color?: boolean;
}

export interface LogSettings {
  /** Undefined when nothing chose one: each command has its default. */
  level: LogLevel | undefined;
  format: LogFormat;
}

export function addLoggingOptions(program: Command): Command {
  return program
    .addOption(new Option('-v, --verbose', 'more logs: debug (-vv: trace)').argParser((_: string, previous: number | undefined) => (previous ?? 0) + 1))
    .option('--log-level <level>', 'log level: fatal, error, warn (default), info, debug, trace, silent (or FIREBREAK_LOG_LEVEL)')
    .option('--log-format <format>', 'logs on stderr as human lines or JSON lines (default: human on a terminal, else json; or FIREBREAK_LOG_FORMAT)')
    .option('--no-color', 'no colour in the output (as NO_COLOR)')
    .hook('preAction', (_program, action) => {
      // Checked before any command runs: an unknown level is a usage error, not a stack trace halfway through.
      const flags = action.optsWithGlobals() as LoggingFlags;
      if (flags.color === false) {
        // For us and anything that reads it; FORCE_COLOR would only make Node warn that it overrides.
        process.env.NO_COLOR = '1';
        delete process.env.FORCE_COLOR;
      }
      settings = logSettings(flags);
    });
}

let settings: LogSettings | undefined;

/**
 * The log settings from the flags, then the environment: `--log-level` beats `-v`, both beat
 * FIREBREAK_LOG_LEVEL; `--log-format` beats FIREBREAK_LOG_FORMAT; without either, human on a terminal.
 */
export function logSettings(flags: LoggingFlags, env: Record<string, string | undefined> = process.env, stderr: { isTTY?: boolean } = process.stderr): LogSettings {
  let level: LogLevel | undefined;
  if (flags.logLevel !== undefined) level = parseLogLevel(flags.logLevel, '--log-level');
  else if (flags.verbose) level = flags.verbose > 1 ? 'trace' : 'debug';
  else if (env.FIREBREAK_LOG_LEVEL) level = parseLogLevel(env.FIREBREAK_LOG_LEVEL, 'FIREBREAK_LOG_LEVEL');
  let format: LogFormat;
  if (flags.logFormat !== undefined) format = parseLogFormat(flags.logFormat, '--log-format');
  else if (env.FIREBREAK_LOG_FORMAT) format = parseLogFormat(env.FIREBREAK_LOG_FORMAT, 'FIREBREAK_LOG_FORMAT');
  else format = stderr.isTTY ? 'human' : 'json';
  return { level, format };
}

/** The logger a command uses: its settings from the global options, `fallback` when no level was chosen. */
export function cliLogger(cmd: Command | undefined, fallback: LogLevel = 'warn'): Logger {
  const s = cmd ? logSettings(cmd.optsWithGlobals() as LoggingFlags) : (settings ?? logSettings({}));
  settings = s;
  return createLogger({
    level: s.level ?? fallback,
    format: s.format,
    human: { color: colorWanted(process.stderr), unicode: unicodeWanted() },
  });
}

/** True when debug (or trace) logs were asked for: details such as stacks are shown then. */
export function isVerbose(): boolean {
  const level = (settings ?? safeSettings())?.level;
  return level === 'debug' || level === 'trace';
}

function safeSettings(): LogSettings | undefined {
  try {
    return logSettings({});
  } catch {
    return undefined;
  }
}
