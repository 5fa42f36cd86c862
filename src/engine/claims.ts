import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FirebreakError } from '../errors.js';
import type { Target } from '../faults/types.js';
import type { TargetClaim } from '../drivers/types.js';
import { HeldFile, type Found, type Verdict } from '../util/held-file.js';
import { currentHolder, describeHolder, holderStatus, type HolderIdentity } from '../util/holder.js';
import { Ledger, openFaultsOf } from './ledger.js';

/**
 * Where host-wide state shared by every ledger lives (target claims): FIREBREAK_STATE_DIR, else
 * /var/lib/firebreak for root, else $XDG_STATE_HOME/firebreak (~/.local/state/firebreak).
 */
export function stateDir(): string {
  if (process.env.FIREBREAK_STATE_DIR) return resolve(process.env.FIREBREAK_STATE_DIR);
  if (process.getuid?.() === 0) return '/var/lib/firebreak';
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'firebreak');
}

/** What a claim file holds: the claim, who holds it (provable identity) and the ledger that records its faults. */
export interface ClaimFile extends TargetClaim {
  v: 1;
  driver: string;
  target: { id: string; name: string };
  identity: HolderIdentity;
  ledger: string;
}

export function claimPath(driver: string, targetId: string): string {
  const key = createHash('sha256').update(targetId).digest('hex').slice(0, 32);
  return join(stateDir(), 'claims', driver, `${key}.json`);
}

/**
 * Claims a target for a run with a file keyed by driver and target id. A claim is held while its
 * holder provably runs (the ledger lock's rules), or, when that cannot be checked, until it expires;
 * and a claim whose holder is gone still holds while its ledger shows a fault of that run on the
 * target not reverted: the target still carries that fault, and recording it as "the original" is
 * exactly what claims prevent.
 */
export function claimWithFile(driver: string, target: Target, claim: TargetClaim, ledgerPath: string): void {
  const path = claimPath(driver, target.id);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const content: ClaimFile = { v: 1, ...claim, driver, target: { id: target.id, name: target.name }, identity: currentHolder(), ledger: ledgerPath };
  const got = HeldFile.acquire<ClaimFile>(path, content, (found) => judgeClaim(found, target));
  if (!(got instanceof HeldFile)) {
    throw new FirebreakError('FIREBREAK_E_TARGET_BUSY', `${target.name} is ${got.busy.why}; nothing was applied to it`, { details: { claim: got.content } });
  }
  got.keep();
}

/** Removes the run's file claim on the target; a claim of another run is left alone. */
export function releaseFileClaim(driver: string, targetId: string, runId: string): boolean {
  return HeldFile.removeIf<ClaimFile>(claimPath(driver, targetId), (c) => c?.runId === runId);
}

function judgeClaim(found: Found<ClaimFile>, target: Target): Verdict {
  const c = found.content;
  if (!c) return { stale: true, why: 'unreadable' };
  const who = `claimed by run ${c.runId} (${describeHolder(c.identity ?? {})})`;
  const status = holderStatus(c.identity ?? {});
  if (status === 'alive') return { stale: false, why: who };
  if (status === 'unknown' && Date.parse(c.expiresAt) > Date.now()) {
    return { stale: false, why: `${who}, which cannot be checked from here, until ${c.expiresAt}` };
  }
  if (faultLeftOpen(c, target)) {
    return { stale: false, why: `still carrying a fault of run ${c.runId}, which ended without reverting it: run \`firebreak --ledger ${c.ledger} recover\` first` };
  }
  return { stale: true, why: `run ${c.runId} is over` };
}

function faultLeftOpen(c: ClaimFile, target: Target): boolean {
  try {
    return openFaultsOf(Ledger.readEntries(c.ledger)).some((o) => o.runId === c.runId && o.target?.id === target.id);
  } catch {
    return true; // a ledger that exists but cannot be read: assume the worst
  }
}
