import { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { defaultLedgerPath } from '../../engine/ledger.js';
import { forgetFaults, recoverLedger } from '../../engine/recover.js';
import { sweepOrphans, type SweepReport } from '../../engine/sweep.js';
import { goneLockHolder } from '../../drivers/kubernetes/lock.js';
import { globalOptions, loggerFor } from '../shared.js';

export function recoverCommand(): Command {
  return new Command('recover')
    .description('revert every fault the ledger holds as applied and not reverted (after a crash or kill -9)')
    .option('--timeout <ms>', 'time limit per driver call', '15000')
    .option('--forget <id...>', 'close these open entries without reverting them, for systems that no longer exist (recorded as forgotten)')
    .option('--sweep', 'then find what faults left behind by their labels (a lost ledger) and revert what expired or whose run is over')
    .option('--dry-run', 'with --sweep: list what the sweep would revert, change nothing')
    .action(async (opts: { timeout: string; forget?: string[]; sweep?: boolean; dryRun?: boolean }, cmd: Command) => {
      const ledger = globalOptions(cmd).ledger;
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 100) {
        process.stderr.write(`firebreak: FIREBREAK_E_USAGE: --timeout must be a whole number of milliseconds >= 100, got "${opts.timeout}"\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      if (opts.forget) {
        const r = forgetFaults(opts.forget, { ...(ledger ? { ledgerPath: ledger } : {}), reason: 'forgotten by hand (recover --forget)' });
        for (const id of r.forgotten) process.stdout.write(`forgotten ${id} (not reverted)\n`);
        for (const id of r.unknown) process.stderr.write(`firebreak: no open entry ${id}\n`);
        process.exitCode = r.unknown.length ? EXIT.invalid : 0;
        return;
      }
      const logger = loggerFor(cmd);
      // In a pod of the CronJob, the lock of the ledger on the shared volume may be a pod's that is gone.
      const takeOverLockFrom = await goneLockHolder(ledger ?? defaultLedgerPath(), { logger, timeoutMs }).catch((err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'could not ask the cluster whether the ledger lock holder is gone');
        return undefined;
      });
      const common = { ...(ledger ? { ledgerPath: ledger } : {}), logger, timeoutMs, ...(takeOverLockFrom ? { takeOverLockFrom } : {}) };
      const result = await recoverLedger({
        ...common,
        onItem: (item) => process.stdout.write(`${item.ok ? '↺ reverted' : '✗ could not revert'} ${item.fault} ${item.id}${item.target ? ` on ${item.target}` : ''}${item.error ? `: ${item.error}` : ''}\n`),
      });
      if (result.found === 0) process.stdout.write(`nothing to recover in ${result.ledger}\n`);
      else process.stdout.write(`${result.reverted} of ${result.found} fault(s) reverted; ${result.remaining.length} left in ${result.ledger}\n`);
      if (result.remaining.length) {
        process.stderr.write(`firebreak: FIREBREAK_E_RECOVER_INCOMPLETE: ${result.remaining.length} fault(s) could not be reverted; fix the cause and run \`firebreak recover\` again\n`);
      }
      let sweepFailed = false;
      if (opts.sweep) sweepFailed = printSweep(await sweepOrphans({ ...common, ...(opts.dryRun ? { dryRun: true } : {}) }));
      process.exitCode = result.remaining.length === 0 && !sweepFailed ? 0 : EXIT.failed;
    });
}

/** Prints what the sweep found; true when something could not be swept. */
function printSweep(reports: SweepReport[]): boolean {
  let failed = false;
  let found = 0;
  for (const r of reports) {
    if (r.error) {
      if (r.skipped) process.stdout.write(`sweep ${r.driver}: skipped (${r.error})\n`);
      else {
        failed = true;
        process.stderr.write(`firebreak: FIREBREAK_E_RECOVER_INCOMPLETE: sweeping ${r.driver}: ${r.error}\n`);
      }
      continue;
    }
    for (const i of r.items) {
      found++;
      if (!i.ok) failed = true;
      process.stdout.write(`${i.ok ? '⌫ swept' : '✗ could not sweep'} ${i.object} (${i.reason}): ${i.action}${i.error ? `: ${i.error}` : ''}\n`);
    }
  }
  if (found === 0 && !failed) process.stdout.write('sweep: nothing left behind\n');
  return failed;
}
