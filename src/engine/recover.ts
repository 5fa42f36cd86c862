import type { Logger } from 'pino';
import { describeError, isFirebreakError } from '../errors.js';
import { registerSecret, resolveSecretRefs, silentLogger } from '../log.js';
import { readSecret } from '../experiment/variables.js';
import { sleep, withTimeout } from '../util/abort.js';
import { defaultRegistry } from '../drivers/builtin.js';
import type { Registry } from '../drivers/registry.js';
import { Ledger, defaultLedgerPath, lockLeaseMs, type KnownHolder, type OpenFault, type UnparsableLine } from './ledger.js';
import { revertWithRetries } from './revert.js';
import { releaseRecovered } from './target-claims.js';

export interface RecoverItem {
  id: string;
  fault: string;
  description?: string;
  target?: string;
  ok: boolean;
  attempts: number;
  error?: string;
  /** Reverted (or failed) but the ledger could not record it: the entry stays open. */
  ledgerError?: string;
  /** Why it was not even tried, when that has a code of its own (FIREBREAK_E_SECRET). */
  code?: string;
}

/**
 * Closes open entries by hand, without reverting: for faults whose system is gone for good (a test
 * environment torn down, a server that lived in a process that was killed). Recorded as `forgotten`.
 */
export function forgetFaults(ids: string[], opts: { ledgerPath?: string; reason: string }): { forgotten: string[]; unknown: string[] } {
  const ledger = Ledger.open(opts.ledgerPath ?? defaultLedgerPath());
  try {
    const open = new Map(ledger.openFaults().map((o) => [o.id, o]));
    const forgotten: string[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const o = open.get(id);
      if (!o) {
        unknown.push(id);
        continue;
      }
      ledger.append({ event: 'forgotten', id, runId: o.runId, description: opts.reason });
      forgotten.push(id);
    }
    return { forgotten, unknown };
  } finally {
    ledger.close();
  }
}

export interface RecoverResult {
  ledger: string;
  found: number;
  reverted: number;
  remaining: RecoverItem[];
  items: RecoverItem[];
  /** Lines that could not be parsed: reported, recorded as seen, and the rest of the ledger used. */
  unparsable: UnparsableLine[];
}

export interface RecoverOptions {
  ledgerPath?: string;
  registry?: Registry;
  logger?: Logger;
  timeoutMs?: number;
  onItem?: (item: RecoverItem, open: OpenFault) => void;
  /** How long to wait for a lock whose holder cannot be checked to run out its lease (default: the lease). */
  lockWaitMs?: number;
  signal?: AbortSignal;
  /** Values for secrets whose source is a variable (`recover --var name=value`). */
  vars?: Record<string, string>;
  /**
   * The lock holder's fate found out by other means (the cluster, for a CronJob's pod): one gone is
   * taken over at once; while one runs, recover does not wait for its lease.
   */
  knownLockHolder?: KnownHolder;
}

/**
 * Reverts every fault the ledger holds as applied (or intended) and not reverted, from the ledger alone:
 * reconnects each driver with its recorded configuration and calls the fault's revert with its state.
 */
export async function recoverLedger(opts: RecoverOptions = {}): Promise<RecoverResult> {
  const running = opts.knownLockHolder !== undefined && !opts.knownLockHolder.gone;
  const ledger = await openWaiting(opts.ledgerPath ?? defaultLedgerPath(), running ? 0 : (opts.lockWaitMs ?? lockLeaseMs() + 5_000), opts.signal, opts.knownLockHolder);
  try {
    return await recoverOpen(ledger, opts);
  } finally {
    ledger.close();
  }
}

/**
 * Recovers through a ledger this process already holds (recover itself, the last-resort handler).
 * Each entry is independent: one that cannot be reverted, or whose outcome cannot be ledgered, never
 * stops the others.
 */
export async function recoverOpen(ledger: Ledger, opts: Omit<RecoverOptions, 'ledgerPath' | 'lockWaitMs'> = {}): Promise<RecoverResult> {
  const registry = opts.registry ?? defaultRegistry();
  const logger = opts.logger ?? silentLogger();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const unparsable = ledger.unreported;
  if (unparsable.length) {
    logger.warn({ lines: unparsable.map((u) => u.line) }, 'unparsable ledger lines skipped');
    try {
      ledger.append({ event: 'skipped', id: '-', runId: '-', lines: unparsable.map((u) => u.line), error: 'unparsable; every other line was used' });
      ledger.unreported = [];
    } catch (err) {
      logger.error({ err: describeError(err).message }, 'could not record the skipped lines');
    }
  }
  const items: RecoverItem[] = [];
  const open = ledger.openFaults().reverse();
  logger.info({ ledger: ledger.path, open: open.length }, `recover: ${open.length} open fault(s) in the ledger`);
  for (const o of open) {
    let item: RecoverItem;
    logger.info({ id: o.id, fault: o.fault, runId: o.runId, target: o.target?.name }, `recovering ${o.description ?? o.fault}`);
    try {
      item = await recoverOne(o, { registry, logger, ledger, timeoutMs, vars: opts.vars ?? {} });
    } catch (err) {
      item = { id: o.id, fault: o.fault, ok: false, attempts: 0, error: describeError(err).message };
    }
    items.push(item);
    if (item.ok) logger.info({ id: o.id, fault: o.fault, attempts: item.attempts, ledgerError: item.ledgerError }, `recovered ${o.description ?? o.fault}`);
    else logger.error({ id: o.id, fault: o.fault, code: item.code, err: item.error }, `could not recover ${o.description ?? o.fault}`);
    opts.onItem?.(item, o);
  }
  return { ledger: ledger.path, found: open.length, reverted: items.filter((i) => i.ok).length, remaining: items.filter((i) => !i.ok), items, unparsable };
}

/**
 * The real values of the secrets an entry refers to, read again from their sources: a revert run with
 * a redacted value could do harm of its own, so an entry whose secret cannot be read is not reverted.
 */
function resolveSecrets(o: OpenFault, vars: Record<string, string>): { values: Record<string, string> } | { problem: string } {
  const values: Record<string, string> = {};
  for (const [name, source] of Object.entries(o.secrets)) {
    const read = readSecret(source, { env: process.env, vars });
    if ('problem' in read) return { problem: `secret "${name}" cannot be read again (${read.problem}); not reverted: make it available and run \`firebreak recover\` again` };
    registerSecret(read.value, { name, source });
    values[name] = read.value;
  }
  return { values };
}

/** Opens a ledger, waiting (bounded, cancellable) for a lock whose holder cannot be checked to run out its lease. */
async function openWaiting(path: string, waitMs: number, signal?: AbortSignal, knownHolder?: KnownHolder): Promise<Ledger> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return Ledger.open(path, knownHolder ? { knownHolder } : {});
    } catch (err) {
      const canWait = isFirebreakError(err, 'FIREBREAK_E_LEDGER_LOCKED') && (err.details as { canWait?: boolean } | undefined)?.canWait;
      if (!canWait || Date.now() >= until) throw err;
      await sleep(Math.min(1000, until - Date.now()), signal);
    }
  }
}

async function recoverOne(o: OpenFault, env: { registry: Registry; logger: Logger; ledger: Ledger; timeoutMs: number; vars: Record<string, string> }): Promise<RecoverItem> {
  const base = { id: o.id, fault: o.fault, ...(o.description ? { description: o.description } : {}), ...(o.target ? { target: o.target.name } : {}) };
  const secrets = resolveSecrets(o, env.vars);
  if ('problem' in secrets) return { ...base, ok: false, attempts: 0, code: 'FIREBREAK_E_SECRET', error: secrets.problem };
  o = { ...o, state: resolveSecretRefs(o.state, secrets.values), driverConfig: resolveSecretRefs(o.driverConfig, secrets.values) };
  const driver = env.registry.driver(o.driver);
  const fault = env.registry.fault(o.fault);
  if (!driver || !fault) return { ...base, ok: false, attempts: 0, error: `no registered ${!driver ? `driver "${o.driver}"` : `fault "${o.fault}"`} to revert it with` };
  let connection: unknown;
  try {
    connection = await withTimeout(`connecting to ${o.driver}`, env.timeoutMs, (signal) => driver.connect(o.driverConfig, { signal, logger: env.logger, timeoutMs: env.timeoutMs, purpose: 'recover' }));
  } catch (err) {
    return { ...base, ok: false, attempts: 0, error: `cannot reach ${o.driver}: ${describeError(err).message}` };
  }
  try {
    const r = await revertWithRetries({ id: o.id, runId: o.runId, fault, connection, state: o.state, logger: env.logger.child({ recover: o.id }), ledger: env.ledger, timeoutMs: env.timeoutMs });
    const target = o.target;
    if (r.ok && !r.ledgerError && target && !env.ledger.openFaults().some((x) => x.runId === o.runId && x.target?.id === target.id)) {
      await releaseRecovered({ driver, connection, logger: env.logger, timeoutMs: env.timeoutMs, ledgerPath: env.ledger.path }, target, { runId: o.runId, instanceId: o.id, holder: '', expiresAt: '' });
    }
    return { ...base, ok: r.ok, attempts: r.attempts, ...(r.error ? { error: r.error } : {}), ...(r.ledgerError ? { ledgerError: r.ledgerError } : {}) };
  } finally {
    await withTimeout(`disconnecting ${o.driver}`, env.timeoutMs, async () => driver.disconnect?.(connection)).catch(() => undefined);
  }
}
