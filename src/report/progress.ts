import type { Writable } from 'node:stream';
import { formatDuration } from '../util/duration.js';
import { scrub } from '../log.js';
import type { RunEvents, TickCohort } from '../engine/events.js';
import { GLYPHS, glyph, paint, registerLiveArea, terminalStyle, terminalText, wrapLine, type Paint, type TerminalLike, type TerminalStyle } from './terminal.js';

const COHORT_ORDER = ['canary', 'control', 'untouched', 'all'] as const;

/**
 * Terminal progress: on a TTY a status block redrawn every tick (phase, time left, the four signals
 * per cohort); elsewhere one plain line per tick and per lifecycle event. On a TTY every line fits its
 * width (long ones are wrapped between words, never by the terminal); colour only where wanted
 * (NO_COLOR, FORCE_COLOR, `--no-color`); ASCII glyphs where Unicode cannot be shown.
 */
export function attachProgress(events: RunEvents, out: Writable & TerminalLike, opts: { quiet?: boolean; style?: Partial<TerminalStyle> } = {}): () => void {
  if (opts.quiet) return () => undefined;
  const tty = Boolean(out.isTTY);
  const style: TerminalStyle = { ...terminalStyle(out), ...opts.style };
  const g = (name: keyof typeof GLYPHS): string => glyph(name, style);
  let drawn = 0;
  const clear = (): void => {
    if (tty && drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  // Lines for the terminal: scrubbed whole (a secret cut in two would no longer be recognised), then fitted.
  const fit = (text: string, colour?: Paint): string[] =>
    wrapLine(terminalText(scrub(text), style), style.columns).map((l) => paint(style, colour, l));
  const line = (text: string, colour?: Paint): void => {
    clear();
    out.write(fit(text, colour).join('\n') + '\n');
  };
  const unregister = tty ? registerLiveArea(clear) : () => undefined;
  const handlers: [string, (p: any) => void][] = [
    [
      'run-started',
      (p) => {
        line(`${g('start')} ${p.title} (${p.source}) run ${p.runId}: ${p.plan.faults.length} fault(s)${p.plan.targets ? `, ${p.plan.targets.canary.length} of ${p.plan.targets.considered} target(s) in the canary` : ''}`, 'bold');
        for (const note of p.plan.notes ?? []) line(`  ${note}`);
      },
    ],
    ['phase-started', (p) => line(`${g('phase')} ${p.phase}${p.durationMs ? ` (${formatDuration(p.durationMs)})` : ''}`, 'cyan')],
    ['fault-applied', (p) => line(`  ${g('applied')} applied ${p.description}${p.target ? ` on ${p.target.name}` : ''}`, 'yellow')],
    ['fault-apply-failed', (p) => line(`  ${g('failed')} apply failed: ${p.fault}: ${p.error}`, 'red')],
    ['fault-reverted', (p) => line(`  ${g('reverted')} reverted ${p.description}${p.target ? ` on ${p.target.name}` : ''}${p.verified ? ' (verified)' : ''}${p.attempts > 1 ? ` after ${p.attempts} attempts` : ''}${p.ledgerError ? `, NOT LEDGERED (${p.ledgerError})` : ''}${p.reach ? `; ${reachText(p.reach)}` : ''}`, p.ledgerError ? 'red' : 'green')],
    ['fault-revert-failed', (p) => line(`  ${g('failed')} REVERT FAILED ${p.fault} ${p.id} after ${p.attempts} attempts: ${p.error} (run \`firebreak recover\`)`, 'red')],
    ['abort-tripped', (p) => line(`  ${g('stop')} stop condition tripped: ${p.condition}: observed ${JSON.stringify(p.evidence.observed)}`, 'red')],
    ['interrupted', (p) => line(p.hard ? `  ${g('stop')} ${p.signal} again: skipping the after phase (faults are still reverted)` : `  ${g('stop')} ${p.signal}: reverting every fault, then measuring recovery (send again to skip that)`, 'yellow')],
    ['probe-result', (p) => line(`  ${g('probe')} ${p.probe}: ${p.result.status === 'ok' ? short(p.result.value, g('ellipsis')) : `error: ${p.result.error?.message}`}`, p.result.status === 'ok' ? undefined : 'red')],
    [
      'tick',
      (p) => {
        const left = Math.max(0, p.durationMs - p.elapsedMs);
        const rows: string[] = [];
        for (const [probe, cohorts] of Object.entries(p.signals as Record<string, Record<string, TickCohort>>)) {
          for (const c of COHORT_ORDER) {
            const s = cohorts[c];
            if (!s || (c === 'all' && Object.keys(cohorts).length > 2)) continue;
            rows.push(`${probe}/${c}: ${fmt(s)}`);
          }
        }
        const head = `  ${p.phase} ${formatDuration(p.elapsedMs)} / ${formatDuration(p.durationMs)}, ${formatDuration(left)} left`;
        if (tty) {
          clear();
          const block = [...fit(head, 'dim'), ...rows.flatMap((r) => fit(`    ${r}`))];
          out.write(block.join('\n') + '\n');
          drawn = block.length;
        } else out.write(terminalText(`${head}${rows.length ? ' | ' + rows.join(' | ') : ''}`, style) + '\n');
      },
    ],
    ['run-ended', () => clear()],
  ];
  for (const [name, h] of handlers) events.on(name, h);
  return () => {
    unregister();
    for (const [name, h] of handlers) events.off(name, h);
  };
}

function fmt(s: TickCohort): string {
  const sat = s.saturation !== undefined ? ` sat ${(s.saturation * 100).toFixed(0)}%` : '';
  const latency = s.latency.count > 0 ? `p50 ${s.latency.p50.toFixed(1)}ms p99 ${s.latency.p99.toFixed(1)}ms` : 'no successful request';
  // Requests still waiting are shown as they pile up: a stalled cohort is visible before anything completes.
  const waiting = s.outstanding ? ` waiting ${s.outstanding}${s.overdue ? ` (${s.overdue} overdue)` : ''}` : '';
  const dropped = s.dropped ? ` DROPPED ${s.dropped}` : '';
  return `${s.rate.toFixed(0)}/s err ${(s.errorRate * 100).toFixed(1)}% ${latency}${sat}${waiting}${dropped}`;
}

function short(v: unknown, ellipsis: string): string {
  const text = JSON.stringify(v) ?? '';
  return text.length > 120 ? text.slice(0, 120 - ellipsis.length) + ellipsis : text;
}

/** What a cohort-scoped fault reached while live, and the canary share its point actually saw. */
export function reachText(reach: { canary?: number; control?: number; untouched?: number }): string {
  const canary = reach.canary ?? 0;
  const total = canary + (reach.control ?? 0) + (reach.untouched ?? 0);
  const share = total > 0 ? ` (canary ${((canary / total) * 100).toFixed(1)}% of ${total} requests)` : ' (no requests passed)';
  return `reached canary ${canary}, control ${reach.control ?? 0}, untouched ${reach.untouched ?? 0}${share}`;
}
