import { Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { formatVerdictTable } from '../../report/summary.js';
import { Output, withOutputFlags, type OutputFlags } from '../output.js';
import { globalOptions, loggerFor, trapSignals } from '../shared.js';

export function demoCommand(): Command {
  return withOutputFlags(
    new Command('demo')
      .description('the embedded demo: a storefront, its dependencies behind the embedded proxy, and the demo experiments run against it (no Docker, no cluster)')
      .option('--experiments <dir>', 'where the demo-*.yaml experiments are')
      .option('--out <dir>', 'where journals go', '.firebreak/demo')
      .option('--only <name...>', 'run only the demo experiments whose file name contains one of these'),
    'the verdicts, journals and report as one JSON document',
  )
    .addHelpText('after', `
Examples:
  firebreak demo
  firebreak demo --only stall --out /tmp/demo`)
    .action(async (flags: OutputFlags & { experiments?: string; out: string; only?: string[] }, cmd: Command) => {
      const out = new Output(flags);
      const trap = trapSignals();
      const ledger = globalOptions(cmd).ledger;
      out.note('firebreak demo: storefront + recommendations + payments on 127.0.0.1, embedded proxy in cohort mode (20% canary, 20% control)');
      try {
        const { rows, report, suite } = await runDemo({
          ...(flags.experiments ? { experimentsDir: flags.experiments } : {}),
          outDir: flags.out, logger: loggerFor(cmd), interruption: trap.interruption, ...(out.quiet || out.json ? {} : { progress: process.stderr }),
          ...(ledger ? { ledgerPath: ledger } : {}),
          ...(flags.only ? { only: flags.only } : {}),
        });
        out.result('\n' + formatVerdictTable(rows.map((r) => ({ title: r.title, status: r.expected && r.expected !== r.status ? `${r.status} (expected ${r.expected})` : r.status, exitCode: r.exitCode, reason: r.reason }))) + '\n');
        for (const r of rows) out.note(`journal: ${r.journal}`);
        out.result(`report: ${report} (open it in a browser; one file, nothing fetched)\nresilience: ${suite.score.text}`);
        const surprises = rows.filter((r) => r.expected && r.expected !== r.status);
        out.document({ rows, report, score: suite.score, surprises: surprises.length });
        if (trap.interruption.soft.signal.aborted) process.exitCode = 130;
        else if (surprises.length) {
          out.result(`\n${surprises.length} experiment(s) did not reach their expected verdict`);
          process.exitCode = 1;
        } else out.note(`\nall ${rows.length} verdicts as expected: the fallback held, the missing fallback was caught, the stall was stopped early`);
      } finally {
        trap.release();
      }
    });
}
