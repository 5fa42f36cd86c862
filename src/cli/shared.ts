import { Command } from 'commander';
import type { Logger } from 'pino';
import { EXIT, FirebreakError } from '../errors.js';
import { createInterruption, type Interruption } from '../engine/context.js';
import { RunEvents } from '../engine/events.js';
import type { RunOptions, RunResult } from '../engine/run.js';
import type { Experiment } from '../experiment/model.js';
import { attachProgress } from '../report/progress.js';
import type { Status } from '../engine/journal.js';
import { cliLogger } from './logging.js';

export { reportError } from './errors.js';

export interface GlobalOptions {
  ledger?: string;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function loggerFor(cmd: Command): Logger {
  return cliLogger(cmd);
}

/** Repeated options collect into a list: `--var a=1 --var b=2`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Most serious first: what a run of several experiments exits with (a fault left behind beats all). */
const SEVERITY: Status[] = ['failed', 'interrupted', 'aborted', 'not-steady', 'deviated', 'inconclusive', 'held', 'planned'];

export function worstExit(statuses: Status[]): number {
  const worst = [...statuses].sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b))[0];
  if (!worst || worst === 'planned') return 0;
  return EXIT[worst];
}

/**
 * Signals that stop a run. SIGHUP (a closed terminal, a dropped SSH session) and SIGQUIT (Ctrl-\\)
 * would otherwise end the process without a revert, so they count like SIGTERM.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT: the first interrupts the run (faults revert, then the after phase
 * measures recovery); the second skips the after phase; reverts are never skipped.
 */
export function trapSignals(events?: RunEvents): { interruption: Interruption; release(): void } {
  const interruption = createInterruption();
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count++;
    interruption.reason ??= sig;
    if (count === 1) {
      interruption.soft.abort(new FirebreakError('FIREBREAK_E_INTERRUPTED', `interrupted by ${sig}`));
      events?.emitEvent('interrupted', { signal: sig, hard: false });
    } else if (count === 2) {
      interruption.hard.abort(new FirebreakError('FIREBREAK_E_INTERRUPTED', `interrupted twice by ${sig}`));
      events?.emitEvent('interrupted', { signal: sig, hard: true });
    } else {
      process.stderr.write(`firebreak: still reverting faults; they are never skipped (${sig} #${count})\n`);
    }
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  return {
    interruption,
    release() {
      for (const sig of STOP_SIGNALS) process.off(sig, handler);
    },
  };
}

/**
 * Runs one experiment the way every command does: progress on stderr, stop signals trapped (first
 * interrupts, second skips the after phase), the global --ledger and logging options honoured.
 */
export async function runFromCli(
  cmd: Command,
  experiment: Experiment,
  opts: { given: unknown; dryRun?: boolean; seed?: string; quiet?: boolean; confirm?: RunOptions['confirm'] },
): Promise<RunResult & { interrupted: boolean }> {
  // The engine is loaded by the commands that run something, not by every command that imports this file.
  const { runExperiment } = await import('../engine/run.js');
  const events = new RunEvents();
  const detach = attachProgress(events, process.stderr, { quiet: Boolean(opts.quiet) });
  const trap = trapSignals(events);
  try {
    const ledger = globalOptions(cmd).ledger;
    const result = await runExperiment(experiment, {
      logger: loggerFor(cmd), events, interruption: trap.interruption, given: opts.given,
      ...(ledger ? { ledgerPath: ledger } : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(opts.seed ? { seed: opts.seed } : {}),
      ...(opts.confirm ? { confirm: opts.confirm } : {}),
    });
    return { ...result, interrupted: trap.interruption.soft.signal.aborted };
  } finally {
    trap.release();
    detach();
  }
}
