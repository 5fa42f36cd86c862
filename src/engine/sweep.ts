import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import { collectIssues } from '../experiment/issues.js';
import { silentLogger } from '../log.js';
import { withTimeout } from '../util/abort.js';
import { defaultRegistry } from '../drivers/builtin.js';
import type { Registry } from '../drivers/registry.js';
import type { SweepItem } from '../drivers/types.js';
import type { JsonObject } from '../faults/types.js';
import { Ledger, defaultLedgerPath, type KnownHolder } from './ledger.js';

export interface SweepReport {
  driver: string;
  /** The driver settings swept with: recorded in the ledger, or the driver's defaults. */
  source: 'ledger' | 'defaults';
  items: SweepItem[];
  /** Set when the system could not be reached or the sweep failed. */
  error?: string;
  /** A default setting that reached nothing is skipped, not an error (there may be no such system here). */
  skipped?: boolean;
}

/**
 * `firebreak recover --sweep`: for a lost ledger (or objects its reverts missed), asks every driver that
 * can sweep to find what its faults left behind by their labels and revert what expired or whose run is
 * over. A run recorded in this ledger is over (the sweep holds the ledger's lock, so none of its runs is
 * live); any other run counts as live until its marks expire. Each driver is reached with every setting
 * recorded in the ledger and with its defaults (kubeconfig, in-cluster service account).
 */
export async function sweepOrphans(opts: { ledgerPath?: string; registry?: Registry; logger?: Logger; timeoutMs?: number; dryRun?: boolean; knownLockHolder?: KnownHolder } = {}): Promise<SweepReport[]> {
  const registry = opts.registry ?? defaultRegistry();
  const logger = opts.logger ?? silentLogger();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const ledger = Ledger.open(opts.ledgerPath ?? defaultLedgerPath(), opts.knownLockHolder ? { knownHolder: opts.knownLockHolder } : {});
  const reports: SweepReport[] = [];
  try {
    const entries = ledger.read();
    const over = new Set(entries.map((e) => e.runId));
    for (const name of registry.driverNames()) {
      const driver = registry.driver(name)!;
      if (!driver.sweep) continue;
      const configs = new Map<string, { config: JsonObject; source: 'ledger' | 'defaults' }>();
      for (const e of entries) if (e.driver === name && e.driverConfig) configs.set(JSON.stringify(e.driverConfig), { config: e.driverConfig, source: 'ledger' });
      const defaults = driver.parseConfig(undefined, collectIssues()) as JsonObject | undefined;
      if (defaults && !configs.has(JSON.stringify(defaults))) configs.set(JSON.stringify(defaults), { config: defaults, source: 'defaults' });
      for (const { config, source } of configs.values()) {
        const signal = new AbortController().signal;
        let conn: unknown;
        try {
          conn = await withTimeout(`connecting to ${name}`, timeoutMs, (s) => driver.connect(config, { signal: s, logger, timeoutMs, purpose: 'recover' }));
        } catch (err) {
          reports.push({ driver: name, source, items: [], error: describeError(err).message, ...(source === 'defaults' ? { skipped: true } : {}) });
          continue;
        }
        try {
          const items = await driver.sweep(conn, { isRunLive: (runId) => !over.has(runId), now: Date.now(), ...(opts.dryRun ? { dryRun: true } : {}) }, { signal, logger, timeoutMs, purpose: 'recover' });
          reports.push({ driver: name, source, items });
        } catch (err) {
          // With the defaults, a system firebreak may not even look at is one its faults did not touch under this identity.
          const forbidden = (err as { code?: string }).code?.endsWith('_FORBIDDEN') === true;
          reports.push({ driver: name, source, items: [], error: describeError(err).message, ...(source === 'defaults' && forbidden ? { skipped: true } : {}) });
        } finally {
          await withTimeout(`disconnecting ${name}`, timeoutMs, async () => driver.disconnect?.(conn)).catch(() => undefined);
        }
      }
    }
    return reports;
  } finally {
    ledger.close();
  }
}
