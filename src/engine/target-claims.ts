import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import type { Driver, TargetClaim } from '../drivers/types.js';
import type { Target } from '../faults/types.js';
import { withTimeout } from '../util/abort.js';
import { currentHolder, describeHolder } from '../util/holder.js';
import { claimWithFile, releaseFileClaim } from './claims.js';
import type { Instance, RunContext } from './context.js';

/** Where a claim is made: the driver's own hook when it has one, else a host-wide file. */
interface ClaimSite {
  driver: Driver<any, any>;
  connection: unknown;
  logger: Logger;
  timeoutMs: number;
  ledgerPath: string;
}

/**
 * Claims the instance's target for this run before anything reads or changes it (prepare records the
 * "original" state): a target another live run holds refuses the apply with FIREBREAK_E_TARGET_BUSY.
 * Several instances of one run on one target share the claim.
 */
export async function claimInstanceTarget(ctx: RunContext, inst: Instance): Promise<void> {
  const target = inst.target;
  if (!target) return;
  const key = `${target.driver}/${target.id}`;
  const held = ctx.claims.get(key);
  if (held) {
    held.instances.add(inst.id);
    return;
  }
  const p = ctx.experiment.phases;
  const claim: TargetClaim = {
    runId: ctx.runId,
    instanceId: inst.id,
    holder: describeHolder(currentHolder()),
    // Long enough for the fault's window, the after phase and every grace; a live holder is checked, not timed.
    expiresAt: new Date(Date.now() + p.during + p.after + 2 * p.phaseGrace + 10 * p.callTimeout).toISOString(),
  };
  await claimAt(siteOf(ctx, target), target, claim, ctx.interruption.soft.signal);
  ctx.claims.set(key, { claim, target, instances: new Set([inst.id]) });
}

/** After a successful revert: the claim goes once no instance of this run is left on the target. */
export async function releaseInstanceTarget(ctx: RunContext, inst: Instance): Promise<void> {
  const target = inst.target;
  if (!target) return;
  const key = `${target.driver}/${target.id}`;
  const held = ctx.claims.get(key);
  if (!held) return;
  held.instances.delete(inst.id);
  if (held.instances.size > 0) return;
  ctx.claims.delete(key);
  await releaseAt(siteOf(ctx, target), target, held.claim);
}

/** `recover`: releases a run's claim on a target once none of its faults there is open. */
export async function releaseRecovered(site: ClaimSite, target: Target, claim: TargetClaim): Promise<void> {
  await releaseAt(site, target, claim);
}

function siteOf(ctx: RunContext, target: Target): ClaimSite {
  const handle = ctx.drivers.get(target.driver);
  return {
    driver: handle?.driver ?? ({ name: target.driver } as Driver),
    connection: handle?.connection,
    logger: ctx.logger,
    timeoutMs: ctx.experiment.phases.callTimeout,
    ledgerPath: ctx.ledger.path,
  };
}

async function claimAt(site: ClaimSite, target: Target, claim: TargetClaim, signal: AbortSignal): Promise<void> {
  const hook = site.driver.claimTarget;
  if (!hook) return claimWithFile(target.driver, target, claim, site.ledgerPath);
  await withTimeout(`claiming ${target.name}`, site.timeoutMs, (s) => hook.call(site.driver, site.connection, target, claim, { signal: s, logger: site.logger, timeoutMs: site.timeoutMs }), signal);
}

// A claim that cannot be released is logged, never fatal: the fault is reverted, and the claim's
// owner is provably gone once this process ends (or it expires).
async function releaseAt(site: ClaimSite, target: Target, claim: TargetClaim): Promise<void> {
  try {
    const hook = site.driver.releaseTarget;
    if (!hook) {
      releaseFileClaim(target.driver, target.id, claim.runId);
      return;
    }
    await withTimeout(`releasing ${target.name}`, site.timeoutMs, (s) => hook.call(site.driver, site.connection, target, claim, { signal: s, logger: site.logger, timeoutMs: site.timeoutMs }));
  } catch (err) {
    site.logger.warn({ target: target.name, err: describeError(err).message }, 'could not release the claim on a target');
  }
}
