import { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { forgetFaults, recoverLedger } from '../../engine/recover.js';
import { parseVarFlags } from '../../experiment/variables.js';
import { glyph, terminalText } from '../../report/terminal.js';
import { printProblem } from '../errors.js';
import { collect, globalOptions, loggerFor } from '../shared.js';

export function recoverCommand(): Command {
  return new Command('recover')
    .description('revert every fault the ledger holds as applied and not reverted (after a crash or kill -9)')
    .option('--timeout <ms>', 'time limit per driver call', '15000')
    .option('--forget <id...>', 'close these open entries without reverting them, for systems that no longer exist (recorded as forgotten)')
    .option('--var <name=value>', 'a value for a secret whose source is a variable (repeatable)', collect, [])
    .action(async (opts: { timeout: string; forget?: string[]; var: string[] }, cmd: Command) => {
      const ledger = globalOptions(cmd).ledger;
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 100) {
        printProblem('FIREBREAK_E_USAGE', `--timeout must be a whole number of milliseconds >= 100, got "${opts.timeout}"`);
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
      const result = await recoverLedger({
        ...(ledger ? { ledgerPath: ledger } : {}),
        logger: loggerFor(cmd),
        timeoutMs,
        vars: parseVarFlags(opts.var),
        onItem: (item) => process.stdout.write(terminalText(`${item.ok ? `${glyph('reverted')} reverted${item.ledgerError ? ', not ledgered' : ''}` : `${glyph('failed')} could not revert${item.code ? ` (${item.code})` : ''}`} ${item.fault} ${item.id}${item.target ? ` on ${item.target}` : ''}${item.error ? `: ${item.error}` : ''}${item.ledgerError ? ` (ledger: ${item.ledgerError})` : ''}`) + '\n'),
      });
      for (const u of result.unparsable) {
        printProblem('FIREBREAK_E_LEDGER_CORRUPT', `${result.ledger}:${u.line}: cannot parse ledger line, skipped (every other line was used): ${JSON.stringify(u.text)}`);
      }
      if (result.found === 0) process.stdout.write(`nothing to recover in ${result.ledger}\n`);
      else process.stdout.write(`${result.reverted} of ${result.found} fault(s) reverted; ${result.remaining.length} left in ${result.ledger}\n`);
      const unledgered = result.items.filter((i) => i.ledgerError).length;
      if (result.remaining.length) {
        printProblem('FIREBREAK_E_RECOVER_INCOMPLETE', `${result.remaining.length} fault(s) could not be reverted: ${result.remaining.map((r) => `${r.fault} ${r.id}: ${r.error}`).join('; ')}`);
      }
      if (unledgered) {
        printProblem('FIREBREAK_E_LEDGER_WRITE', `${unledgered} outcome(s) could not be written to ${result.ledger}; their entries stay open: free space and run \`firebreak recover\` again (reverting twice is harmless)`);
      }
      process.exitCode = result.remaining.length === 0 && unledgered === 0 && result.unparsable.length === 0 ? 0 : EXIT.failed;
    });
}
