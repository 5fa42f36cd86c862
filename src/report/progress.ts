import type { Writable } from 'node:stream';
import { formatDuration } from '../util/duration.js';
import { scrub } from '../log.js';
import type { RunEvents, TickCohort } from '../engine/events.js';

const COHORT_ORDER = ['canary', 'control', 'untouched', 'all'] as const;

/**
 * Terminal progress: on a TTY a status block redrawn every tick (phase, time left, the four signals
 * per cohort); elsewhere one plain line per tick and per lifecycle event.
 */
export function attachProgress(events: RunEvents, out: Writable & { isTTY?: boolean; columns?: number }, opts: { quiet?: boolean } = {}): () => void {
  if (opts.quiet) return () => undefined;
  const tty = Boolean(out.isTTY);
  let drawn = 0;
  const clear = (): void => {
    if (tty && drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const line = (text: string): void => {
    clear();
    out.write(scrub(text) + '\n');
  };
  const handlers: [string, (p: any) => void][] = [
    [
      'run-started',
      (p) => {
        line(`▶ ${p.title} (${p.source}) run ${p.runId}: ${p.plan.faults.length} fault(s)${p.plan.targets ? `, ${p.plan.targets.canary.length} of ${p.plan.targets.considered} target(s) in the canary` : ''}`);
        for (const note of p.plan.notes ?? []) line(`  ${note}`);
      },
    ],
    ['phase-started', (p) => line(`· ${p.phase}${p.durationMs ? ` (${formatDuration(p.durationMs)})` : ''}`)],
    ['fault-applied', (p) => line(`  ⚡ applied ${p.description}${p.target ? ` on ${p.target.name}` : ''}`)],
    ['fault-apply-failed', (p) => line(`  ✗ apply failed: ${p.fault}: ${p.error}`)],
    ['fault-reverted', (p) => line(`  ↺ reverted ${p.description}${p.target ? ` on ${p.target.name}` : ''}${p.verified ? ' (verified)' : ''}${p.attempts > 1 ? ` after ${p.attempts} attempts` : ''}${p.ledgerError ? `, NOT LEDGERED (${p.ledgerError})` : ''}${p.reach ? `; ${reachText(p.reach)}` : ''}`)],
    ['fault-revert-failed', (p) => line(`  ✗ REVERT FAILED ${p.fault} ${p.id} after ${p.attempts} attempts: ${p.error} (run \`firebreak recover\`)`)],
    ['abort-tripped', (p) => line(`  ■ stop condition tripped: ${p.condition}: observed ${JSON.stringify(p.evidence.observed)}`)],
    ['interrupted', (p) => line(p.hard ? `  ■ ${p.signal} again: skipping the after phase (faults are still reverted)` : `  ■ ${p.signal}: reverting every fault, then measuring recovery (send again to skip that)`)],
    ['probe-result', (p) => line(`  ? ${p.probe}: ${p.result.status === 'ok' ? short(p.result.value) : `error: ${p.result.error?.message}`}`)],
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
          const block = [head, ...rows.map((r) => `    ${r}`)];
          out.write(block.join('\n') + '\n');
          drawn = block.length;
        } else out.write(`${head}${rows.length ? ' | ' + rows.join(' | ') : ''}\n`);
      },
    ],
    ['run-ended', () => clear()],
  ];
  for (const [name, h] of handlers) events.on(name, h);
  return () => {
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

function short(v: unknown): string {
  const text = JSON.stringify(v) ?? '';
  return text.length > 120 ? text.slice(0, 117) + '...' : text;
}

/** What a cohort-scoped fault reached while live, and the canary share its point actually saw. */
export function reachText(reach: { canary?: number; control?: number; untouched?: number }): string {
  const canary = reach.canary ?? 0;
  const total = canary + (reach.control ?? 0) + (reach.untouched ?? 0);
  const share = total > 0 ? ` (canary ${((canary / total) * 100).toFixed(1)}% of ${total} requests)` : ' (no requests passed)';
  return `reached canary ${canary}, control ${reach.control ?? 0}, untouched ${reach.untouched ?? 0}${share}`;
}
