import { Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { formatVerdictTable } from '../../report/summary.js';
import { globalOptions, loggerFor, trapSignals } from '../shared.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description('the embedded demo: a storefront, its dependencies behind the embedded proxy, and the demo experiments run against it (no Docker, no cluster)')
    .option('--experiments <dir>', 'where the demo-*.yaml experiments are')
    .option('--out <dir>', 'where journals go', '.firebreak/demo')
    .option('--only <name...>', 'run only the demo experiments whose file name contains one of these')
    .action(async (flags: { experiments?: string; out: string; only?: string[] }, cmd: Command) => {
      const trap = trapSignals();
      const ledger = globalOptions(cmd).ledger;
      process.stdout.write('firebreak demo: storefront + recommendations + payments on 127.0.0.1, embedded proxy in cohort mode (20% canary, 20% control)\n');
      try {
        const { rows, report, suite } = await runDemo({
          ...(flags.experiments ? { experimentsDir: flags.experiments } : {}),
          outDir: flags.out, logger: loggerFor(cmd), interruption: trap.interruption, progress: process.stderr,
          ...(ledger ? { ledgerPath: ledger } : {}),
          ...(flags.only ? { only: flags.only } : {}),
        });
        process.stdout.write('\n' + formatVerdictTable(rows.map((r) => ({ title: r.title, status: r.expected && r.expected !== r.status ? `${r.status} (expected ${r.expected})` : r.status, exitCode: r.exitCode, reason: r.reason }))) + '\n\n');
        for (const r of rows) process.stdout.write(`journal: ${r.journal}\n`);
        process.stdout.write(`report: ${report} (open it in a browser; one file, nothing fetched)\nresilience: ${suite.score.text}\n`);
        const surprises = rows.filter((r) => r.expected && r.expected !== r.status);
        if (trap.interruption.soft.signal.aborted) process.exitCode = 130;
        else if (surprises.length) {
          process.stdout.write(`\n${surprises.length} experiment(s) did not reach their expected verdict\n`);
          process.exitCode = 1;
        } else process.stdout.write(`\nall ${rows.length} verdicts as expected: the fallback held, the missing fallback was caught, the stall was stopped early\n`);
      } finally {
        trap.release();
      }
    });
}
