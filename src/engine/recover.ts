import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import { silentLogger } from '../log.js';
import { withTimeout } from '../util/abort.js';
import { defaultRegistry } from '../drivers/builtin.js';
import type { Registry } from '../drivers/registry.js';
import { Ledger, defaultLedgerPath, type LockHolder, type OpenFault } from './ledger.js';
import { revertWithRetries } from './revert.js';

export interface RecoverItem {
  id: string;
  fault: string;
  description?: string;
  target?: string;
  ok: boolean;
  attempts: number;
  error?: string;
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
}

/**
 * Reverts every fault the ledger holds as applied (or intended) and not reverted, from the ledger alone:
 * reconnects each driver with its recorded configuration and calls the fault's revert with its state.
 */
export async function recoverLedger(opts: { ledgerPath?: string; registry?: Registry; logger?: Logger; timeoutMs?: number; onItem?: (item: RecoverItem, open: OpenFault) => void; takeOverLockFrom?: LockHolder } = {}): Promise<RecoverResult> {
  const registry = opts.registry ?? defaultRegistry();
  const logger = opts.logger ?? silentLogger();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const ledger = Ledger.open(opts.ledgerPath ?? defaultLedgerPath(), opts.takeOverLockFrom ? { takeOverFrom: opts.takeOverLockFrom } : {});
  const items: RecoverItem[] = [];
  try {
    const open = ledger.openFaults().reverse();
    for (const o of open) {
      const item = await recoverOne(o, { registry, logger, ledger, timeoutMs });
      items.push(item);
      opts.onItem?.(item, o);
    }
    return { ledger: ledger.path, found: open.length, reverted: items.filter((i) => i.ok).length, remaining: items.filter((i) => !i.ok), items };
  } finally {
    ledger.close();
  }
}

async function recoverOne(o: OpenFault, env: { registry: Registry; logger: Logger; ledger: Ledger; timeoutMs: number }): Promise<RecoverItem> {
  const base = { id: o.id, fault: o.fault, ...(o.description ? { description: o.description } : {}), ...(o.target ? { target: o.target.name } : {}) };
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
    return { ...base, ok: r.ok, attempts: r.attempts, ...(r.error ? { error: r.error } : {}) };
  } finally {
    await withTimeout(`disconnecting ${o.driver}`, env.timeoutMs, async () => driver.disconnect?.(connection)).catch(() => undefined);
  }
}
