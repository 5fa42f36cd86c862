import { Command } from 'commander';
import { EXIT, FirebreakError } from '../../errors.js';
import { defaultLedgerPath } from '../../engine/ledger.js';
import { forgetFaults, recoverLedger } from '../../engine/recover.js';
import { sweepOrphans, type SweepReport } from '../../engine/sweep.js';
import { lockHolderFromCluster } from '../../drivers/kubernetes/lock.js';
import { parseVarFlags } from '../../experiment/variables.js';
import { glyph, terminalText } from '../../report/terminal.js';
import { printProblem } from '../errors.js';
import { durationOption, Output, withOutputFlags, type OutputFlags } from '../output.js';
import { collect, globalOptions, loggerFor } from '../shared.js';

export function recoverCommand(): Command {
  return withOutputFlags(
    new Command('recover')
      .description('revert every fault the ledger holds as applied and not reverted (after a crash or kill -9)')
      .option('--timeout <duration>', 'time limit per driver call, with its unit (15s, 500ms)', durationOption, 15_000)
      .option('--forget <id...>', 'close these open entries without reverting them, for systems that no longer exist (recorded as forgotten)')
      .option('--var <name=value>', 'a value for a secret whose source is a variable (repeatable)', collect, [])
      .option('--sweep', 'then find what faults left behind by their labels (a lost ledger) and revert what expired or whose run is over')
      .option('--dry-run', 'with --sweep: list what the sweep would revert, change nothing'),
    'one JSON document: every entry with its outcome, and what is left',
  )
    .addHelpText('after', `
Exit 0 when nothing is left open; 4 when a fault could not be reverted (fix the cause, run it again:
reverting twice is harmless); 64 for a bad option or an unknown --forget id.

Examples:
  firebreak recover
  firebreak --ledger /var/lib/firebreak/ledger.jsonl recover --timeout 30s
  firebreak recover --forget 7f3c2a-0-0          # the system it was on no longer exists
  firebreak recover --sweep --dry-run             # what faults left behind without a ledger entry`)
    .action(async (opts: OutputFlags & { timeout: number; forget?: string[]; var: string[]; sweep?: boolean; dryRun?: boolean }, cmd: Command) => {
      const out = new Output(opts);
      const ledger = globalOptions(cmd).ledger;
      const timeoutMs = opts.timeout;
      if (timeoutMs < 100) throw new FirebreakError('FIREBREAK_E_USAGE', `--timeout must be at least 100ms, got ${timeoutMs} ms`);
      if (opts.forget) {
        const r = forgetFaults(opts.forget, { ...(ledger ? { ledgerPath: ledger } : {}), reason: 'forgotten by hand (recover --forget)' });
        for (const id of r.forgotten) out.result(`forgotten ${id} (not reverted)`);
        for (const id of r.unknown) out.problem(`firebreak: no open entry ${id}`);
        out.document({ forgotten: r.forgotten, unknown: r.unknown });
        process.exitCode = r.unknown.length ? EXIT.invalid : 0;
        return;
      }
      const logger = loggerFor(cmd);
      // In a pod of the CronJob, the lock of the ledger on the shared volume may be a pod's that is gone.
      const knownLockHolder = await lockHolderFromCluster(ledger ?? defaultLedgerPath(), { logger, timeoutMs }).catch((err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'could not ask the cluster whether the ledger lock holder is gone');
        return undefined;
      });
      const common = { ...(ledger ? { ledgerPath: ledger } : {}), logger, timeoutMs, ...(knownLockHolder ? { knownLockHolder } : {}) };
      const result = await recoverLedger({
        ...common,
        vars: parseVarFlags(opts.var),
        onItem: (item) => out.result(terminalText(`${item.ok ? `${glyph('reverted')} reverted${item.ledgerError ? ', not ledgered' : ''}` : `${glyph('failed')} could not revert${item.code ? ` (${item.code})` : ''}`} ${item.fault} ${item.id}${item.target ? ` on ${item.target}` : ''}${item.error ? `: ${item.error}` : ''}${item.ledgerError ? ` (ledger: ${item.ledgerError})` : ''}`)),
      });
      for (const u of result.unparsable) {
        printProblem('FIREBREAK_E_LEDGER_CORRUPT', `${result.ledger}:${u.line}: cannot parse ledger line, skipped (every other line was used): ${JSON.stringify(u.text)}`);
      }
      if (result.found === 0) out.note(`nothing to recover in ${result.ledger}`);
      else out.result(`${result.reverted} of ${result.found} fault(s) reverted; ${result.remaining.length} left in ${result.ledger}`);
      const unledgered = result.items.filter((i) => i.ledgerError).length;
      if (result.remaining.length) {
        printProblem('FIREBREAK_E_RECOVER_INCOMPLETE', `${result.remaining.length} fault(s) could not be reverted: ${result.remaining.map((r) => `${r.fault} ${r.id}: ${r.error}`).join('; ')}`);
      }
      if (unledgered) {
        printProblem('FIREBREAK_E_LEDGER_WRITE', `${unledgered} outcome(s) could not be written to ${result.ledger}; their entries stay open: free space and run \`firebreak recover\` again (reverting twice is harmless)`);
      }
      const sweep = opts.sweep ? await sweepOrphans({ ...common, ...(opts.dryRun ? { dryRun: true } : {}) }) : undefined;
      const sweepFailed = sweep ? printSweep(sweep, out) : false;
      out.document(sweep ? { ...result, sweep } : result);
      process.exitCode = result.remaining.length === 0 && unledgered === 0 && result.unparsable.length === 0 && !sweepFailed ? 0 : EXIT.failed;
    });
}

/** Prints what the sweep found; true when something could not be swept. */
function printSweep(reports: SweepReport[], out: Output): boolean {
  let failed = false;
  let found = 0;
  for (const r of reports) {
    if (r.error) {
      if (r.skipped) out.note(`sweep ${r.driver}: skipped (${r.error})`);
      else {
        failed = true;
        out.problem(`firebreak: FIREBREAK_E_RECOVER_INCOMPLETE: sweeping ${r.driver}: ${r.error}`);
      }
      continue;
    }
    for (const i of r.items) {
      found++;
      if (!i.ok) failed = true;
      out.result(`${i.ok ? '⌫ swept' : '✗ could not sweep'} ${i.object} (${i.reason}): ${i.action}${i.error ? `: ${i.error}` : ''}`);
    }
  }
  if (found === 0 && !failed) out.result('sweep: nothing left behind');
  return failed;
}
