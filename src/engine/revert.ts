import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import { sleep, withTimeout } from '../util/abort.js';
import { canVerify, type FaultContext, type FaultType, type JsonObject } from '../faults/types.js';
import { callBudget } from './budget.js';
import type { Ledger } from './ledger.js';

export interface RevertJob {
  id: string;
  runId: string;
  fault: FaultType<any, any, any>;
  connection: unknown;
  state: JsonObject;
  logger: Logger;
  ledger: Ledger;
  timeoutMs: number;
  baseDir?: string;
  attempts?: number;
}

export interface RevertOutcome {
  ok: boolean;
  attempts: number;
  verified?: boolean;
  verifyDetail?: string;
  error?: string;
  /** Set when the outcome could not be written to the ledger (a full disk): the entry stays open. */
  ledgerError?: string;
}

const BACKOFF_MS = [250, 1000, 3000, 5000];

/** The context every fault call gets, in the engine and in `recover` alike. */
export function faultContextOf(
  job: { runId: string; id: string; logger: Logger; connection: unknown; baseDir?: string },
  signal: AbortSignal,
  timeoutMs: number,
): FaultContext {
  return {
    signal, logger: job.logger, runId: job.runId, instanceId: job.id, timeoutMs, connection: job.connection,
    ...(job.baseDir ? { baseDir: job.baseDir } : {}),
  };
}

/**
 * Reverts one instance, retrying with backoff and verifying where the fault can. Never cancelled by an
 * interruption (only bounded by timeouts): a revert is the product's first promise. Ledgers the result.
 */
export async function revertWithRetries(job: RevertJob): Promise<RevertOutcome> {
  const max = job.attempts ?? 3;
  const budget = callBudget(job.fault, job.state, job.timeoutMs);
  const ctx = (signal: AbortSignal): FaultContext => faultContextOf(job, signal, budget);
  let lastError = '';
  for (let attempt = 1; attempt <= max; attempt++) {
    let verified: boolean | undefined;
    let verifyDetail: string | undefined;
    try {
      job.logger.debug({ id: job.id, fault: job.fault.type, attempt, state: job.state }, 'reverting');
      await withTimeout(`reverting ${job.fault.type} ${job.id}`, budget, (signal) => job.fault.revert(ctx(signal), job.state), undefined, { settleMs: budget });
      const fault = job.fault;
      if (canVerify(fault)) {
        const v = await withTimeout(`verifying the revert of ${fault.type} ${job.id}`, budget, (signal) => fault.verify(ctx(signal), job.state));
        verified = v.ok;
        verifyDetail = v.detail;
        job.logger.info({ id: job.id, fault: fault.type, ok: v.ok, detail: v.detail }, v.ok ? 'verified the revert' : 'the revert did not take');
        if (!v.ok) throw new Error(`revert did not take: ${v.detail ?? 'verification failed'}`);
      }
    } catch (err) {
      lastError = describeError(err).message;
      job.logger.warn({ id: job.id, fault: job.fault.type, attempt, err: lastError }, 'revert attempt failed');
      if (attempt < max) await sleep(BACKOFF_MS[attempt - 1] ?? 5000);
      continue;
    }
    // The revert took: that is the outcome, whether or not the ledger can record it.
    const ledgerError = await record(job, { event: 'reverted', id: job.id, runId: job.runId, ...(verified !== undefined ? { description: verified ? 'verified' : 'unverified' } : {}) });
    return { ok: true, attempts: attempt, ...(verified !== undefined ? { verified } : {}), ...(verifyDetail ? { verifyDetail } : {}), ...(ledgerError ? { ledgerError } : {}) };
  }
  const ledgerError = await record(job, { event: 'revert-failed', id: job.id, runId: job.runId, error: lastError });
  return { ok: false, attempts: max, error: lastError, ...(ledgerError ? { ledgerError } : {}) };
}

/**
 * Writes a revert's outcome (grouped with those of reverts finishing at the same moment: one fsync);
 * a ledger that cannot take it (a full disk) is reported, never thrown.
 */
async function record(job: RevertJob, entry: Parameters<Ledger['append']>[0]): Promise<string | undefined> {
  try {
    await job.ledger.appendSoon(entry);
    return undefined;
  } catch (err) {
    const message = describeError(err).message;
    job.logger.error({ id: job.id, event: entry.event, err: message }, 'could not write the revert to the ledger');
    return message;
  }
}
