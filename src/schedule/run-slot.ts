import type { Logger } from 'pino';
import type { Interruption } from '../engine/context.js';
import { RunEvents } from '../engine/events.js';
import type { History } from '../history/history.js';
import { attachProgress } from '../report/progress.js';
import { loadSuiteFile } from '../suite/load.js';
import { loadSuiteExperiments, runSuite } from '../suite/run.js';
import type { Schedule } from './load.js';
import type { RunOutcome } from './scheduler.js';

export interface SlotRunOptions {
  interruption: Interruption;
  history: History;
  logger: Logger;
  journalDir: string;
  ledgerPath?: string;
  /** Where progress lines go (none when undefined). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Runs a schedule's suite for one slot. The suite and its experiments are read again each time (they
 * may have changed since the scheduler started); an invalid one fails the slot without touching
 * anything.
 */
export async function runScheduledSuite(s: Schedule, opts: SlotRunOptions): Promise<RunOutcome> {
  const { suite, issues } = loadSuiteFile(s.suite);
  if (!suite) throw new Error(`the suite ${s.suite} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const experiments = loadSuiteExperiments(suite);
  if (experiments.issues.length) throw new Error(`experiments of ${s.suite} are invalid: ${experiments.issues.slice(0, 3).map((i) => `${i.file}: ${i.path}: ${i.message}`).join('; ')}`);
  const result = await runSuite(suite, experiments.loaded, {
    logger: opts.logger, interruption: opts.interruption, history: opts.history, journalDir: opts.journalDir, schedule: s.name,
    ...(opts.ledgerPath ? { ledgerPath: opts.ledgerPath } : {}),
    ...(opts.progress
      ? {
          eventsFor: () => {
            const events = new RunEvents();
            attachProgress(events, opts.progress as never);
            return events;
          },
        }
      : {}),
  });
  return { gate: result.gate, exitCode: result.exitCode, suiteRunId: result.suiteRunId };
}
