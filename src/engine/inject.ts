import { FirebreakError, describeError, isFirebreakError } from '../errors.js';
import { withTimeout } from '../util/abort.js';
import type { FaultContext, JsonObject } from '../faults/types.js';
import type { Instance, RunContext } from './context.js';
import type { FaultRecord } from './journal.js';
import { callBudget } from './budget.js';
import { inFlight } from './live-runs.js';
import { claimInstanceTarget, releaseInstanceTarget } from './target-claims.js';
import { faultContextOf, revertWithRetries } from './revert.js';
import { chainsOf, inPool } from './parallel.js';

function faultContext(ctx: RunContext, inst: Instance, signal: AbortSignal, timeoutMs = ctx.experiment.phases.callTimeout): FaultContext {
  const handle = ctx.drivers.get(inst.spec.driver)!;
  return faultContextOf(
    { runId: ctx.runId, id: inst.id, logger: ctx.logger.child({ fault: inst.spec.type, instance: inst.id }), connection: handle.connection, baseDir: ctx.experiment.baseDir },
    signal,
    timeoutMs,
  );
}

function record(ctx: RunContext, inst: Instance): FaultRecord {
  let r = ctx.journal.faults.find((f) => f.id === inst.id);
  if (!r) {
    r = { id: inst.id, fault: inst.spec.type, name: inst.spec.name, description: inst.description, ...(inst.target ? { target: inst.target } : {}), revertAttempts: 0 };
    ctx.journal.faults.push(r);
  }
  return r;
}

/**
 * Ledgers the intent (with the state needed to undo it), applies, ledgers `applied`. Once the intent
 * is on disk the instance counts as attempted and will be reverted whatever happens next.
 */
export async function applyInstance(ctx: RunContext, inst: Instance): Promise<void> {
  const fault = ctx.registry.fault(inst.spec.type)!;
  const handle = ctx.drivers.get(inst.spec.driver)!;
  const timeoutMs = ctx.experiment.phases.callTimeout;
  const rec = record(ctx, inst);
  try {
    await claimInstanceTarget(ctx, inst);
    const state = await withTimeout(`preparing ${inst.spec.type}`, timeoutMs, (signal) => fault.prepare(faultContext(ctx, inst, signal), inst.spec.attrs, inst.target), ctx.interruption.soft.signal);
    inst.state = state;
    await writeIntent(ctx, inst, handle.config, state);
    inst.attempted = true;
    ctx.order.push(inst);
    // An apply is not cancelled by an interruption (it is reverted right after), and a timed-out one
    // gets a bounded time to settle, so a revert never races an apply still in flight.
    const budget = callBudget(fault, state, timeoutMs);
    const next = await inFlight(ctx.runId, withTimeout(`applying ${inst.spec.type}`, budget, (signal) => fault.apply(faultContext(ctx, inst, signal, budget), state), undefined, { settleMs: budget }));
    if (next) inst.state = next as JsonObject;
    // The intent already holds what the revert needs: an `applied` line the disk cannot take is noted, not fatal.
    try {
      await ctx.ledger.appendSoon({ event: 'applied', id: inst.id, runId: ctx.runId, state: inst.state });
    } catch (err) {
      ctx.journal.errors.push({ phase: 'inject', code: 'FIREBREAK_E_LEDGER_WRITE', message: `${inst.description} was applied but its \`applied\` line was not written (${describeError(err).message}); its intent is on disk, so it is still reverted and recovered` });
    }
    inst.applied = true;
    rec.state = inst.state;
    rec.appliedAt = new Date().toISOString();
    ctx.events.emitEvent('fault-applied', { id: inst.id, fault: inst.spec.type, description: inst.description, ...(inst.target ? { target: inst.target } : {}) });
  } catch (err) {
    const message = describeError(err).message;
    rec.error = message;
    ctx.events.emitEvent('fault-apply-failed', { id: inst.id, fault: inst.spec.type, error: message });
    // Nothing of it was applied: its claim (if this instance made it) goes now.
    if (!inst.attempted) await releaseInstanceTarget(ctx, inst);
    if (isFirebreakError(err) && !inst.attempted && REFUSALS.includes(err.code)) throw err;
    throw new FirebreakError('FIREBREAK_E_APPLY', `applying ${inst.description} failed: ${message}`, { cause: err });
  }
}

/** Refusals before anything was applied keep their own code (a full disk, a busy target). */
const REFUSALS: string[] = ['FIREBREAK_E_LEDGER_WRITE', 'FIREBREAK_E_TARGET_BUSY'];

/**
 * The intent, before the apply: a fault whose intent is not on disk is never applied. Intents of
 * faults applied in parallel share one write and one fsync (`appendSoon`); each apply waits for its own.
 */
async function writeIntent(ctx: RunContext, inst: Instance, driverConfig: JsonObject, state: JsonObject): Promise<void> {
  try {
    await ctx.ledger.appendSoon({
      event: 'intent', id: inst.id, runId: ctx.runId, fault: inst.spec.type, driver: inst.spec.driver,
      driverConfig, ...(inst.target ? { target: inst.target } : {}), state, description: inst.description,
    });
  } catch (err) {
    throw new FirebreakError('FIREBREAK_E_LEDGER_WRITE', `${inst.description} was not applied: its intent could not be ledgered (${describeError(err).message})`, { cause: err });
  }
}

/** Reverts one instance if it was attempted and not yet reverted. */
export async function revertInstance(ctx: RunContext, inst: Instance): Promise<boolean> {
  if (!inst.attempted || inst.reverted || !inst.state) return true;
  const fault = ctx.registry.fault(inst.spec.type)!;
  const handle = ctx.drivers.get(inst.spec.driver)!;
  const rec = record(ctx, inst);
  const outcome = await revertWithRetries({
    id: inst.id, runId: ctx.runId, fault, connection: handle.connection, state: inst.state,
    logger: ctx.logger.child({ fault: inst.spec.type, instance: inst.id }), ledger: ctx.ledger, timeoutMs: ctx.experiment.phases.callTimeout,
    baseDir: ctx.experiment.baseDir,
  });
  rec.revertAttempts = outcome.attempts;
  if (outcome.verified !== undefined) rec.verified = outcome.verified;
  if (outcome.verifyDetail) rec.verifyDetail = outcome.verifyDetail;
  if (outcome.ledgerError) {
    rec.ledgerError = outcome.ledgerError;
    ctx.journal.errors.push({
      phase: 'revert', code: 'FIREBREAK_E_LEDGER_WRITE',
      message: `${inst.description}: ${outcome.ok ? 'reverted, not ledgered' : 'revert failure not ledgered'} (${outcome.ledgerError}); the entry stays open: run \`firebreak recover\` once the ledger can be written (a second revert is harmless)`,
    });
  }
  if (outcome.ok) {
    inst.reverted = true;
    rec.revertedAt = new Date().toISOString();
    await releaseInstanceTarget(ctx, inst);
    ctx.events.emitEvent('fault-reverted', {
      id: inst.id, fault: inst.spec.type, description: inst.description, ...(inst.target ? { target: inst.target } : {}),
      ...(outcome.verified !== undefined ? { verified: outcome.verified } : {}), attempts: outcome.attempts, ...(outcome.ledgerError ? { ledgerError: outcome.ledgerError } : {}),
      ...(rec.reach ? { reach: rec.reach } : {}),
    });
    return true;
  }
  rec.error = outcome.error;
  ctx.events.emitEvent('fault-revert-failed', { id: inst.id, fault: inst.spec.type, error: outcome.error ?? 'unknown', attempts: outcome.attempts });
  return false;
}

/**
 * Reverts every attempted instance, `phases.concurrency` chains at a time (see `chainsOf`): within a
 * chain (one target, or the faults without one) in reverse order of their intents; across chains in
 * the order they were first applied, so every target spends the same time under its fault. Returns the
 * ids that failed.
 */
export async function revertAll(ctx: RunContext): Promise<string[]> {
  return revertChains(ctx, ctx.order);
}

/** Reverts the given attempted instances (chained and ordered as `revertAll` says). Returns the ids that failed. */
export async function revertChains(ctx: RunContext, instances: readonly Instance[]): Promise<string[]> {
  const failed: string[] = [];
  await inPool(chainsOf(instances), ctx.experiment.phases.concurrency, async (chain) => {
    for (const inst of [...chain].reverse()) {
      // One instance's failure, whatever it is, never keeps the others applied.
      try {
        if (!(await revertInstance(ctx, inst))) failed.push(inst.id);
      } catch (err) {
        ctx.logger.error({ instance: inst.id, err: describeError(err) }, 'revert failed unexpectedly');
        failed.push(inst.id);
      }
    }
  });
  return failed;
}
