import { EXIT, hintLines, isFirebreakError } from '../errors.js';
import { scrub } from '../log.js';
import { explainError } from '../util/cause.js';
import { terminalText } from '../report/terminal.js';
import { isVerbose } from './logging.js';

/**
 * An error as every command prints it, on stderr: `firebreak: CODE: what failed: why`, down the cause
 * chain, then a `hint:` line per cause it names and one from the catalogue (docs/errors.md).
 */
export function formatProblem(code: string | undefined, message: string): string {
  const text = scrub(message);
  const lines = [`firebreak: ${code ? `${code}: ` : ''}${text}`, ...hintLines(code, text).map((h) => `  hint: ${h}`)];
  return terminalText(lines.join('\n')) + '\n';
}

/** Prints a coded problem a command found itself (no exception). */
export function printProblem(code: string, message: string): void {
  process.stderr.write(formatProblem(code, message));
}

/** Prints an error the way every command does and returns its exit code; an uncoded one is a bug. */
export function reportError(err: unknown): number {
  if (isFirebreakError(err)) {
    process.stderr.write(formatProblem(err.code, explainError(err)));
    return err.exitCode;
  }
  process.stderr.write(formatProblem('FIREBREAK_E_INTERNAL', explainError(err)));
  // The stack is for the report the hint asks for: shown with -v.
  if (err instanceof Error && err.stack && isVerbose()) process.stderr.write(terminalText(scrub(err.stack)) + '\n');
  return EXIT.failed;
}
