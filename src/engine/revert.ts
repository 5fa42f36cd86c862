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
    try {
      await withTimeout(`reverting ${job.fault.type} ${job.id}`, budget, (signal) => job.fault.revert(ctx(signal), job.state), undefined, { settleMs: budget });
      let verified: boolean | undefined;
      let verifyDetail: string | undefined;
      const fault = job.fault;
      if (canVerify(fault)) {
        const v = await withTimeout(`verifying the revert of ${fault.type} ${job.id}`, budget, (signal) => fault.verify(ctx(signal), job.state));
        verified = v.ok;
        verifyDetail = v.detail;
        if (!v.ok) throw new Error(`revert did not take: ${v.detail ?? 'verification failed'}`);
      }
      job.ledger.append({ event: 'reverted', id: job.id, runId: job.runId, ...(verified !== undefined ? { description: verified ? 'verified' : 'unverified' } : {}) });
      return { ok: true, attempts: attempt, ...(verified !== undefined ? { verified } : {}), ...(verifyDetail ? { verifyDetail } : {}) };
    } catch (err) {
      lastError = describeError(err).message;
      job.logger.warn({ id: job.id, fault: job.fault.type, attempt, err: lastError }, 'revert attempt failed');
      if (attempt < max) await sleep(BACKOFF_MS[attempt - 1] ?? 5000);
    }
  }
  job.ledger.append({ event: 'revert-failed', id: job.id, runId: job.runId, error: lastError });
  return { ok: false, attempts: max, error: lastError };
}
