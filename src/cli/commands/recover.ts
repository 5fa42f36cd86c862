import { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { recoverLedger } from '../../engine/recover.js';
import { globalOptions, loggerFor } from '../shared.js';

export function recoverCommand(): Command {
  return new Command('recover')
    .description('revert every fault the ledger holds as applied and not reverted (after a crash or kill -9)')
    .option('--timeout <ms>', 'time limit per driver call', '15000')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const ledger = globalOptions(cmd).ledger;
      const result = await recoverLedger({
        ...(ledger ? { ledgerPath: ledger } : {}),
        logger: loggerFor(cmd),
        timeoutMs: Number(opts.timeout),
        onItem: (item) => process.stdout.write(`${item.ok ? '↺ reverted' : '✗ could not revert'} ${item.fault} ${item.id}${item.target ? ` on ${item.target}` : ''}${item.error ? `: ${item.error}` : ''}\n`),
      });
      if (result.found === 0) process.stdout.write(`nothing to recover in ${result.ledger}\n`);
      else process.stdout.write(`${result.reverted} of ${result.found} fault(s) reverted; ${result.remaining.length} left in ${result.ledger}\n`);
      process.exitCode = result.remaining.length === 0 ? 0 : EXIT.failed;
    });
}
