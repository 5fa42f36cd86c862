import { Command } from 'commander';
import { join } from 'node:path';
import { EXIT, FirebreakError } from '../../errors.js';
import { formatIssue } from '../../experiment/issues.js';
import { recoverLedger } from '../../engine/recover.js';
import { History } from '../../history/history.js';
import { loadSchedulesFile } from '../../schedule/load.js';
import { SchedulerMetrics } from '../../schedule/metrics.js';
import { runScheduledSuite } from '../../schedule/run-slot.js';
import { Scheduler } from '../../schedule/scheduler.js';
import { SchedulerState } from '../../schedule/state.js';
import { globalOptions, loggerFor, trapSignals } from '../shared.js';

interface ServeFlags {
  schedules: string;
  state: string;
  metrics: string;
  journal: string;
  history?: string;
  quiet?: boolean;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run scheduled game days: each schedule runs its suite at its cron times, in its time zone, within its calendar')
    .requiredOption('--schedules <file>', 'schedules file (YAML or JSON)')
    .option('--state <dir>', 'scheduler state: paused schedules, last slots, slot claims', join('.firebreak', 'scheduler'))
    .option('--metrics <host:port>', 'serve Prometheus metrics on /metrics here ("off" for none)', '127.0.0.1:9477')
    .option('--journal <dir>', 'where journals go', join('.firebreak', 'journals'))
    .option('--history <file>', 'history file (default .firebreak/history.jsonl, or FIREBREAK_HISTORY)')
    .option('-q, --quiet', 'no progress output')
    .addHelpText('after', `
Before it schedules anything, serve runs recover on the ledger and refuses to start while a fault is
still open. SIGTERM (or SIGINT, SIGHUP) interrupts a running experiment, which reverts its faults,
then serve exits. Every skip and missed slot is written to history with its reason.

Examples:
  firebreak serve --schedules experiments/demo.schedules.yaml
  firebreak serve --schedules /etc/firebreak/schedules.yaml --state /var/lib/firebreak --metrics 0.0.0.0:9477`)
    .action(async (flags: ServeFlags, cmd: Command) => {
      const loaded = loadSchedulesFile(flags.schedules);
      if (!loaded.schedules) {
        for (const i of loaded.issues) process.stderr.write(formatIssue(i) + '\n');
        process.stderr.write(`firebreak: ${flags.schedules} is not valid; nothing was scheduled\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const logger = loggerFor(cmd);
      const ledger = globalOptions(cmd).ledger;
      const recovered = await recoverLedger({ logger, ...(ledger ? { ledgerPath: ledger } : {}) });
      if (recovered.found) process.stderr.write(`firebreak serve: recover found ${recovered.found} open fault(s), reverted ${recovered.reverted}\n`);
      if (recovered.remaining.length) {
        throw new FirebreakError('FIREBREAK_E_RECOVER_INCOMPLETE', `refusing to schedule: ${recovered.remaining.length} fault(s) are still open in ${recovered.ledger} (${recovered.remaining.map((r) => `${r.fault} ${r.id}: ${r.error}`).join('; ')}); fix and run firebreak recover`);
      }
      const state = new SchedulerState(flags.state);
      const history = new History(flags.history);
      const metrics = new SchedulerMetrics(loaded.schedules.map((s) => s.name));
      const endpoint = flags.metrics === 'off' ? undefined : await metrics.serve(...hostPort(flags.metrics));
      const trap = trapSignals();
      const stop = new AbortController();
      trap.interruption.soft.signal.addEventListener('abort', () => stop.abort(), { once: true });
      const scheduler = new Scheduler({
        schedules: loaded.schedules, state, history, metrics, logger,
        run: async (s, slot) => {
          process.stderr.write(`firebreak serve: ${s.name}: slot ${new Date(slot).toISOString()} starts ${s.suite}\n`);
          const r = await runScheduledSuite(s, {
            interruption: trap.interruption, history, logger, journalDir: flags.journal, ...(ledger ? { ledgerPath: ledger } : {}),
            ...(flags.quiet ? {} : { progress: process.stderr }),
          });
          process.stderr.write(`firebreak serve: ${s.name}: gate ${r.gate} (exit ${r.exitCode})\n`);
          return r;
        },
      });
      process.stderr.write(`firebreak serve: ${loaded.schedules.length} schedule(s)${endpoint ? `, metrics on ${endpoint.url}/metrics` : ''}\n`);
      for (const n of scheduler.upcoming()) process.stderr.write(`  ${n.schedule}: next ${new Date(n.fireAt).toISOString()}\n`);
      try {
        await scheduler.start(stop.signal);
      } finally {
        trap.release();
        await endpoint?.close();
      }
      process.stderr.write(`firebreak serve: stopped${trap.interruption.reason ? ` by ${trap.interruption.reason}` : ''}\n`);
    });
}

export function hostPort(text: string): [string, number] {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new FirebreakError('FIREBREAK_E_USAGE', `expected host:port, got ${JSON.stringify(text)}`);
  return [m[1], port];
}
