import { Command } from 'commander';
import { join } from 'node:path';
import { EXIT, FirebreakError } from '../../errors.js';
import { formatIssue } from '../../experiment/issues.js';
import { History } from '../../history/history.js';
import { formatInZone } from '../../schedule/fire-times.js';
import { loadSchedulesFile, type Schedule } from '../../schedule/load.js';
import { calendarSkip, jitterOf } from '../../schedule/policy.js';
import { runScheduledSuite } from '../../schedule/run-slot.js';
import { SchedulerState } from '../../schedule/state.js';
import { Output, withOutputFlags, type OutputFlags } from '../output.js';
import { globalOptions, loggerFor, trapSignals } from '../shared.js';

interface Common extends OutputFlags {
  schedules?: string;
  state: string;
}

export function scheduleCommand(): Command {
  const cmd = new Command('schedule').description('check, preview, pause, resume or run the schedules that `firebreak serve` runs').addHelpText('after', `
Examples:
  firebreak schedule validate --schedules experiments/demo.schedules.yaml
  firebreak schedule next --schedules experiments/demo.schedules.yaml --count 10
  firebreak schedule pause storefront-weekly`);
  withOutputFlags(
    cmd
      .command('validate')
      .description('check a schedules file and the suites it names; touches nothing')
      .requiredOption('--schedules <file>', 'schedules file')
      .addHelpText('after', `
Example:
  firebreak schedule validate --schedules experiments/demo.schedules.yaml`),
    'every schedule with its next fire time, as one JSON document',
  ).action((flags: Common) => {
    const schedules = load(flags.schedules!);
    if (!schedules) return;
    const out = new Output(flags);
    const now = Date.now();
    out.document(schedules.map((s) => ({ schedule: s.name, cron: s.cron, timeZone: s.timeZone, suite: s.suite, estimatedMs: s.estimatedMs, next: new Date(s.fire.next(now)).toISOString() })));
    for (const s of schedules) out.note(`${s.name}: ok, "${s.cron}" in ${s.timeZone}, runs ${s.suite} (about ${Math.round(s.estimatedMs / 60_000)} min); next ${formatInZone(s.fire.next(now), s.timeZone)}`);
  });
  cmd
    .command('next')
    .description('the exact upcoming fire times, with the slots the calendar would skip and why, for review')
    .requiredOption('--schedules <file>', 'schedules file')
    .option('--count <n>', 'how many per schedule', '10')
    .option('--from <iso>', 'start from this instant (default now)')
    .option('--name <schedule>', 'only this schedule')
    .option('--state <dir>', 'scheduler state (for paused schedules)', join('.firebreak', 'scheduler'))
    .option('--json', 'as one JSON document')
    .option('-q, --quiet', 'only the fire times, one per line (no headings)')
    .addHelpText('after', `
Example:
  firebreak schedule next --schedules experiments/demo.schedules.yaml --count 10`)
    .action((flags: Common & { count: string; from?: string; name?: string }) => {
      const schedules = load(flags.schedules!);
      if (!schedules) return;
      const count = Number(flags.count);
      if (!Number.isInteger(count) || count < 1 || count > 1000) throw new FirebreakError('FIREBREAK_E_USAGE', `--count takes a whole number from 1 to 1000, got ${JSON.stringify(flags.count)}`);
      const from = flags.from === undefined ? Date.now() : Date.parse(flags.from);
      if (Number.isNaN(from)) throw new FirebreakError('FIREBREAK_E_USAGE', `--from takes an ISO date-time, got ${JSON.stringify(flags.from)}`);
      const memory = new SchedulerState(flags.state).read();
      const out = schedules
        .filter((s) => !flags.name || s.name === flags.name)
        .map((s) => ({
          schedule: s.name, timeZone: s.timeZone,
          fires: s.fire.upcoming(from, count).map((slot) => {
            const at = slot + jitterOf(s, slot);
            const skip = calendarSkip(s, at, { paused: Boolean(memory[s.name]?.paused) });
            return { slot: new Date(slot).toISOString(), fireAt: new Date(at).toISOString(), local: formatInZone(at, s.timeZone), ...(skip ? { skip: skip.reason } : {}) };
          }),
        }));
      if (flags.name && out.length === 0) throw new FirebreakError('FIREBREAK_E_USAGE', `no schedule named "${flags.name}"`);
      if (flags.json) return void process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      for (const s of out) {
        if (!flags.quiet) process.stdout.write(`${s.schedule} (${s.timeZone}):\n`);
        for (const f of s.fires) process.stdout.write(`${flags.quiet ? `${s.schedule} ` : '  '}${f.local}  ${f.fireAt}${f.skip ? `  SKIPPED: ${f.skip}` : ''}\n`);
      }
    });
  for (const [name, paused] of [['pause', true], ['resume', false]] as const) {
    cmd
      .command(name)
      .description(paused ? 'stop a schedule from starting runs (its slots are skipped and recorded) until resumed' : 'let a paused schedule start runs again')
      .argument('<schedule>', 'schedule name')
      .option('--schedules <file>', 'schedules file (to check the name)')
      .option('--state <dir>', 'scheduler state', join('.firebreak', 'scheduler'))
      .option('--json', 'the outcome as one JSON document')
      .option('-q, --quiet', 'print nothing; the exit code says it worked')
      .addHelpText('after', `
Example:
  firebreak schedule ${name} storefront-weekly --schedules experiments/demo.schedules.yaml`)
      .action((schedule: string, flags: Common) => {
        if (flags.schedules) {
          const schedules = load(flags.schedules);
          if (!schedules) return;
          if (!schedules.some((s) => s.name === schedule)) throw new FirebreakError('FIREBREAK_E_USAGE', `no schedule named "${schedule}" in ${flags.schedules}`);
        }
        new SchedulerState(flags.state).update(schedule, (m) => ({ ...m, paused }));
        const out = new Output(flags);
        out.document({ schedule, paused, state: flags.state });
        out.note(`${schedule}: ${paused ? 'paused' : 'resumed'} (${flags.state})`);
      });
  }
  cmd
    .command('run')
    .description('run a schedule\'s suite now, once, outside its calendar (recorded in history as a manual start)')
    .argument('<schedule>', 'schedule name')
    .requiredOption('--schedules <file>', 'schedules file')
    .option('--journal <dir>', 'where journals go', join('.firebreak', 'journals'))
    .option('--history <file>', 'history file')
    .option('--json', 'the outcome as one JSON document')
    .option('-q, --quiet', 'print only the outcome: no progress')
    .addHelpText('after', `
Example:
  firebreak schedule run storefront-weekly --schedules experiments/demo.schedules.yaml`)
    .action(async (schedule: string, flags: Common & { journal: string; history?: string }, sub: Command) => {
      const schedules = load(flags.schedules!);
      if (!schedules) return;
      const s = schedules.find((x) => x.name === schedule);
      if (!s) throw new FirebreakError('FIREBREAK_E_USAGE', `no schedule named "${schedule}" in ${flags.schedules}`);
      const history = new History(flags.history);
      const now = Date.now();
      history.append({ kind: 'schedule', at: new Date(now).toISOString(), schedule: s.name, slot: new Date(now).toISOString(), event: 'started', reason: 'manual: firebreak schedule run' });
      const trap = trapSignals();
      const ledger = globalOptions(sub).ledger;
      try {
        const r = await runScheduledSuite(s, { interruption: trap.interruption, history, logger: loggerFor(sub), journalDir: flags.journal, ...(flags.quiet || flags.json ? {} : { progress: process.stderr }), ...(ledger ? { ledgerPath: ledger } : {}) });
        history.append({ kind: 'schedule', at: new Date().toISOString(), schedule: s.name, slot: new Date(now).toISOString(), event: 'finished', suiteRunId: r.suiteRunId, gate: r.gate });
        const out = new Output(flags);
        out.document({ schedule: s.name, suiteRunId: r.suiteRunId, gate: r.gate, exitCode: r.exitCode });
        out.result(`${s.name}: gate ${r.gate} (exit ${r.exitCode})`);
        process.exitCode = r.exitCode;
      } finally {
        trap.release();
      }
    });
  return cmd;
}

function load(file: string): Schedule[] | undefined {
  const loaded = loadSchedulesFile(file);
  if (loaded.schedules) return loaded.schedules;
  for (const i of loaded.issues) process.stderr.write(formatIssue(i) + '\n');
  process.stderr.write(`firebreak: ${file} is not valid\n`);
  process.exitCode = EXIT.invalid;
  return undefined;
}
