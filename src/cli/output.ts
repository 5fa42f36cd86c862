import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration, timerProblem } from '../util/duration.js';

/** `--json` and `-q` as every command that prints a result takes them. */
export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

/** Adds `--json` and `-q, --quiet` with one wording everywhere. */
export function withOutputFlags(cmd: Command, json = 'the result as one JSON document on stdout'): Command {
  return cmd.option('--json', json).option('-q, --quiet', 'print only the result and problems: no progress, no notes');
}

/**
 * Where a command's output goes: with `--json` only the one JSON document reaches stdout; `-q` drops
 * notes and progress; problems go to stderr either way.
 */
export class Output {
  constructor(private readonly flags: OutputFlags) {}

  get json(): boolean {
    return Boolean(this.flags.json);
  }

  get quiet(): boolean {
    return Boolean(this.flags.quiet);
  }

  /** A line of the human result (not printed with --json). */
  result(text: string): void {
    if (!this.flags.json) process.stdout.write(`${text}\n`);
  }

  /** A line that helps but is not the result (not printed with --json or -q). */
  note(text: string): void {
    if (!this.flags.json && !this.flags.quiet) process.stdout.write(`${text}\n`);
  }

  /** The JSON document (printed only with --json). */
  document(doc: unknown): void {
    if (this.flags.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }

  problem(text: string): void {
    process.stderr.write(`${text}\n`);
  }
}

/**
 * A duration option: the unit is required (`15s`, `500ms`, `2m`), because a bare `15` is 15 ms to one
 * tool and 15 s to the next. Used as a commander argParser; a bad value is a usage error (exit 64).
 */
export function durationOption(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text) && Number(text) !== 0) {
    throw new InvalidArgumentError(`give the unit: ${text}s or ${text}ms (a bare number is ambiguous)`);
  }
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError('not a duration: use 250ms, 30s, 2m or 1h');
  const tooLong = timerProblem(ms);
  if (tooLong) throw new InvalidArgumentError(tooLong);
  return ms;
}
