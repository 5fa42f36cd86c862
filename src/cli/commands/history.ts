import { Command } from 'commander';
import { join } from 'node:path';
import { FirebreakError } from '../../errors.js';
import { History, rebuildHistory, type HistoryEntry } from '../../history/history.js';
import { longDuration } from '../../suite/load.js';
import { Output, type OutputFlags } from '../output.js';

interface HistoryFlags {
  experiment?: string;
  since?: string;
  kind?: HistoryEntry['kind'];
  schedule?: string;
  json?: boolean;
  quiet?: boolean;
  history?: string;
}

export function historyCommand(): Command {
  const cmd = new Command('history')
    .description('what ran, when, and with what verdict: runs, suite runs and scheduler events')
    .option('--experiment <title-or-file>', 'only this experiment')
    .option('--since <duration>', 'only entries younger than this (30d, 12h)')
    .option('--kind <kind>', 'run, suite or schedule')
    .option('--schedule <name>', 'only this schedule\'s events and suite runs')
    .option('--json', 'the entries as one JSON document')
    .option('-q, --quiet', 'print only the entries (no note when there are none)')
    .option('--history <file>', 'history file (default .firebreak/history.jsonl, or FIREBREAK_HISTORY)')
    .addHelpText('after', `
Examples:
  firebreak history --since 7d
  firebreak history --experiment "Checkout survives slow payments" --json
  firebreak history rebuild --journals .firebreak/journals
  firebreak history prune --retention 90d`)
    .action((flags: HistoryFlags) => {
      const since = flags.since === undefined ? undefined : Date.now() - durationFlag(flags.since, '--since');
      if (flags.kind && !['run', 'suite', 'schedule'].includes(flags.kind)) throw new FirebreakError('FIREBREAK_E_USAGE', `--kind must be run, suite or schedule, got ${JSON.stringify(flags.kind)}`);
      const entries = new History(flags.history).read({
        ...(flags.kind ? { kind: flags.kind } : {}), ...(flags.experiment ? { experiment: flags.experiment } : {}),
        ...(since !== undefined ? { since } : {}), ...(flags.schedule ? { schedule: flags.schedule } : {}),
      });
      const out = new Output(flags);
      out.document(entries);
      for (const e of entries) out.result(lineOf(e));
      if (entries.length === 0) out.note(`no entries in ${new History(flags.history).path}${flags.kind || flags.experiment || flags.since || flags.schedule ? ' that match' : ''}`);
    });
  cmd
    .command('rebuild')
    .description('recreate the run entries of the history from the journals')
    .option('--journals <dir>', 'where the journals are', join('.firebreak', 'journals'))
    .option('--json', 'the outcome as one JSON document')
    .option('-q, --quiet', 'print nothing; the exit code says it worked')
    .addHelpText('after', `
Example:
  firebreak history rebuild --journals .firebreak/journals`)
    .action((flags: OutputFlags & { journals: string }, sub: Command) => {
      const history = new History((sub.parent?.opts() as HistoryFlags).history);
      const n = rebuildHistory(history, flags.journals);
      const out = new Output(withParentOutput(flags, sub));
      out.document({ history: history.path, journals: flags.journals, runs: n });
      out.note(`rebuilt ${history.path}: ${n} run(s) from ${flags.journals}`);
    });
  cmd
    .command('prune')
    .description('drop entries older than the retention')
    .requiredOption('--retention <duration>', 'keep entries younger than this (90d)')
    .option('--json', 'the outcome as one JSON document')
    .option('-q, --quiet', 'print nothing; the exit code says it worked')
    .addHelpText('after', `
Example:
  firebreak history prune --retention 90d`)
    .action((flags: OutputFlags & { retention: string }, sub: Command) => {
      const history = new History((sub.parent?.opts() as HistoryFlags).history);
      const dropped = history.prune(durationFlag(flags.retention, '--retention'));
      const out = new Output(withParentOutput(flags, sub));
      out.document({ history: history.path, retention: flags.retention, dropped });
      if (!out.json && !out.quiet) process.stdout.write(`${history.path}: ${dropped} entr${dropped === 1 ? 'y' : 'ies'} older than ${flags.retention} dropped\n`);
    });
  return cmd;
}

/** `history --json rebuild` and `history rebuild --json` mean the same: commander gives a flag the parent also declares to the parent. */
function withParentOutput(flags: OutputFlags, sub: Command): OutputFlags {
  const parent = (sub.parent?.opts() ?? {}) as OutputFlags;
  return { ...flags, json: flags.json || parent.json, quiet: flags.quiet || parent.quiet };
}

function durationFlag(v: string, flag: string): number {
  const ms = longDuration(v);
  if (ms === undefined || !/[a-z]$/.test(v.trim())) throw new FirebreakError('FIREBREAK_E_USAGE', `${flag} takes a duration with its unit, like 30d or 12h; got ${JSON.stringify(v)}`);
  return ms;
}

function lineOf(e: HistoryEntry): string {
  if (e.kind === 'run') return `${e.at}  run     ${e.status.padEnd(12)} ${e.experiment}${e.suiteRunId ? `  (suite run ${e.suiteRunId})` : ''}`;
  if (e.kind === 'suite') return `${e.at}  suite   ${e.gate.padEnd(12)} ${e.suite}: ${e.score.text}${e.halted ? `; stopped early: ${e.halted}` : ''}`;
  return `${e.at}  sched   ${e.event.padEnd(12)} ${e.schedule} slot ${e.slot}${e.reason ? `: ${e.reason}` : ''}`;
}

