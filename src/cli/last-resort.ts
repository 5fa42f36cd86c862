import { EXIT, FirebreakError, describeError } from '../errors.js';
import { scrub } from '../log.js';
import { cliLogger } from './logging.js';
import { liveRuns, type LiveRun } from '../engine/live-runs.js';

/** How long the last-resort handler may spend on a run's own revert, then on reverting from its ledger. */
export const LAST_RESORT_MS = { ownRevert: 30_000, perCall: 15_000, total: 90_000 };

/**
 * The CLI's last resort for an error nothing else caught (an uncaught exception, an unhandled
 * rejection): stop every run of this process, let each revert what it applied, revert from its
 * ledger whatever is still open, say what happened, and exit 4. A bug must never leave a fault behind.
 */
export function installLastResort(): () => void {
  let handling = false;
  const onFatal = (kind: string) => (err: unknown): void => {
    const message = scrub(describeError(err).message);
    if (handling) {
      process.stderr.write(`firebreak: another ${kind} while reverting after the first: ${message}\n`);
      return;
    }
    handling = true;
    process.stderr.write(`firebreak: FIREBREAK_E_INTERNAL: ${kind}: ${message}\n${scrub((err as Error)?.stack ?? '')}\n`);
    const giveUp = setTimeout(() => {
      process.stderr.write(`firebreak: gave up reverting after ${LAST_RESORT_MS.total / 1000} s; run \`firebreak recover\`\n`);
      process.exit(EXIT.failed);
    }, LAST_RESORT_MS.total);
    void revertEverything(kind)
      .catch((e: unknown) => process.stderr.write(`firebreak: reverting after the ${kind} failed: ${describeError(e).message}; run \`firebreak recover\`\n`))
      .finally(() => {
        clearTimeout(giveUp);
        process.exit(EXIT.failed);
      });
  };
  const onException = onFatal('uncaught exception');
  const onRejection = onFatal('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

let command: Promise<unknown> | undefined;

/** The command in progress: once its runs reverted, it gets a moment to write its journal and summary. */
export function commandRunning(p: Promise<unknown>): void {
  command = p.catch(() => undefined);
}

async function revertEverything(kind: string): Promise<void> {
  const runs = liveRuns();
  if (runs.length === 0) {
    process.stderr.write('firebreak: no run was in progress in this process; nothing to revert\n');
    return;
  }
  for (const run of runs) await stopAndRevert(run, kind);
  if (command) await Promise.race([command, delay(3_000)]);
}

/** Stops one run: no new fault, its own revert first (bounded), then whatever its ledger still holds open. */
async function stopAndRevert(run: LiveRun, kind: string): Promise<void> {
  const why = new FirebreakError('FIREBREAK_E_INTERNAL', `stopped after an ${kind}`);
  run.ledger.seal(`the process is stopping after an ${kind}`);
  run.interruption.reason ??= kind;
  run.interruption.soft.abort(why);
  run.interruption.hard.abort(why);
  const ownRevert = await Promise.race([run.done.then(() => true), delay(LAST_RESORT_MS.ownRevert).then(() => false)]);
  if (ownRevert) {
    const left = safeOpenCount(run);
    process.stderr.write(`firebreak: run ${run.runId} reverted its faults${left ? `; ${left} could not be and stay in the ledger: run \`firebreak recover\`` : ''}\n`);
    return;
  }
  // The run is stuck: applies still in flight get their time to settle, then the ledger is the record.
  await Promise.race([Promise.allSettled([...run.inflight]), delay(LAST_RESORT_MS.perCall)]);
  const logger = cliLogger(undefined);
  // Loaded here, not at start-up: the CLI's cold start stays free of the engine and its drivers.
  const { recoverOpen } = await import('../engine/recover.js');
  const result = await recoverOpen(run.ledger, { logger, timeoutMs: LAST_RESORT_MS.perCall });
  for (const item of result.items) {
    process.stderr.write(`firebreak: ${item.ok ? 'reverted' : 'could not revert'} ${item.fault} ${item.id}${item.error ? `: ${item.error}` : ''}\n`);
  }
  process.stderr.write(`firebreak: reverted ${result.reverted} of ${result.found} fault(s) of run ${run.runId} from ${result.ledger}${result.remaining.length ? '; run `firebreak recover` for the rest' : ''}\n`);
  run.ledger.close();
}

function safeOpenCount(run: LiveRun): number {
  try {
    return run.ledger.openFaults().filter((o) => o.runId === run.runId).length;
  } catch {
    return 0;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
