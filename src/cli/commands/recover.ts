import { Command } from 'commander';
import { EXIT, FirebreakError } from '../../errors.js';
import { forgetFaults, recoverLedger } from '../../engine/recover.js';
import { parseVarFlags } from '../../experiment/variables.js';
import { durationOption, Output, withOutputFlags, type OutputFlags } from '../output.js';
import { collect, globalOptions, loggerFor } from '../shared.js';

export function recoverCommand(): Command {
  return withOutputFlags(
    new Command('recover')
      .description('revert every fault the ledger holds as applied and not reverted (after a crash or kill -9)')
      .option('--timeout <duration>', 'time limit per driver call, with its unit (15s, 500ms)', durationOption, 15_000)
      .option('--forget <id...>', 'close these open entries without reverting them, for systems that no longer exist (recorded as forgotten)')
      .option('--var <name=value>', 'a value for a secret whose source is a variable (repeatable)', collect, []),
    'one JSON document: every entry with its outcome, and what is left',
  )
    .addHelpText('after', `
Exit 0 when nothing is left open; 4 when a fault could not be reverted (fix the cause, run it again:
reverting twice is harmless); 64 for a bad option or an unknown --forget id.

Examples:
  firebreak recover
  firebreak --ledger /var/lib/firebreak/ledger.jsonl recover --timeout 30s
  firebreak recover --forget 7f3c2a-0-0          # the system it was on no longer exists`)
    .action(async (opts: OutputFlags & { timeout: number; forget?: string[]; var: string[] }, cmd: Command) => {
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
      const result = await recoverLedger({
        ...(ledger ? { ledgerPath: ledger } : {}),
        logger: loggerFor(cmd),
        timeoutMs,
        vars: parseVarFlags(opts.var),
        onItem: (item) => out.result(`${item.ok ? (item.ledgerError ? '↺ reverted, not ledgered' : '↺ reverted') : `✗ could not revert${item.code ? ` (${item.code})` : ''}`} ${item.fault} ${item.id}${item.target ? ` on ${item.target}` : ''}${item.error ? `: ${item.error}` : ''}${item.ledgerError ? ` (ledger: ${item.ledgerError})` : ''}`),
      });
      for (const u of result.unparsable) {
        process.stderr.write(`firebreak: FIREBREAK_E_LEDGER_CORRUPT: ${result.ledger}:${u.line}: cannot parse ledger line, skipped (every other line was used): ${JSON.stringify(u.text)}\n`);
      }
      if (result.found === 0) out.note(`nothing to recover in ${result.ledger}`);
      else out.result(`${result.reverted} of ${result.found} fault(s) reverted; ${result.remaining.length} left in ${result.ledger}`);
      out.document(result);
      const unledgered = result.items.filter((i) => i.ledgerError).length;
      if (result.remaining.length) {
        process.stderr.write(`firebreak: FIREBREAK_E_RECOVER_INCOMPLETE: ${result.remaining.length} fault(s) could not be reverted; fix the cause and run \`firebreak recover\` again\n`);
      }
      if (unledgered) {
        process.stderr.write(`firebreak: FIREBREAK_E_LEDGER_WRITE: ${unledgered} outcome(s) could not be written to ${result.ledger}; their entries stay open: free space and run \`firebreak recover\` again (reverting twice is harmless)\n`);
      }
      process.exitCode = result.remaining.length === 0 && unledgered === 0 && result.unparsable.length === 0 ? 0 : EXIT.failed;
    });
}
