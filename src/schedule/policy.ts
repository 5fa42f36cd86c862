import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DateTime } from 'luxon';
import { WEEKDAYS, type Schedule } from './load.js';

/** Why a slot does not run; a short code for metrics, a sentence for history. */
export interface Skip {
  code: 'paused' | 'freeze' | 'blackout' | 'outside-hours' | 'outside-days' | 'min-interval' | 'overlap' | 'missed' | 'taken';
  reason: string;
}

/** The delay added to a slot's fire time: the same for the same schedule and slot, on every scheduler. */
export function jitterOf(s: Schedule, slotMs: number): number {
  if (s.jitterMs <= 0) return 0;
  const h = createHash('sha256').update(`${s.name}\u0000${new Date(slotMs).toISOString()}`).digest();
  return Math.floor((h.readUInt32BE(0) / 2 ** 32) * s.jitterMs);
}

/**
 * Whether a run may start at `startMs` for this schedule, by its calendar rules: paused, a freeze file,
 * a blackout at its start or at its estimated end, the allowed days, the allowed hours at its start and
 * estimated end, and the minimum interval since the last start. Overlap and missed slots are the
 * scheduler's own decisions. Undefined means it may start.
 */
export function calendarSkip(s: Schedule, startMs: number, ctx: { paused: boolean; lastStartMs?: number }): Skip | undefined {
  if (ctx.paused) return { code: 'paused', reason: 'the schedule is paused (firebreak schedule resume to go on)' };
  if (s.freezeFile && existsSync(s.freezeFile)) return { code: 'freeze', reason: `the freeze file ${s.freezeFile} exists` };
  const endMs = startMs + s.estimatedMs;
  for (const b of s.blackouts) {
    if (startMs >= b.from && startMs < b.to) return { code: 'blackout', reason: `a blackout at its start (${b.text}${b.reason ? `: ${b.reason}` : ''})` };
    if (endMs > b.from && startMs < b.from) return { code: 'blackout', reason: `a blackout before its estimated end (${b.text}${b.reason ? `: ${b.reason}` : ''}; the run takes about ${Math.round(s.estimatedMs / 60_000)} min)` };
  }
  const start = DateTime.fromMillis(startMs, { zone: s.timeZone });
  if (s.allowedDays && !s.allowedDays.includes(WEEKDAYS[start.weekday - 1]!)) return { code: 'outside-days', reason: `${start.toFormat('cccc')} is not among the allowed days (${s.allowedDays.join(', ')})` };
  if (s.allowedHours) {
    const end = DateTime.fromMillis(endMs, { zone: s.timeZone });
    const inHours = (d: DateTime, edge: 'start' | 'end'): boolean => {
      const m = d.hour * 60 + d.minute + d.second / 60;
      const { from, to } = s.allowedHours!;
      return from < to ? (edge === 'start' ? m >= from && m < to : m > from && m <= to) : edge === 'start' ? m >= from || m < to : m > from || m <= to;
    };
    if (!inHours(start, 'start')) return { code: 'outside-hours', reason: `${start.toFormat('HH:mm')} is outside the allowed hours ${s.allowedHours.text}` };
    const sameDay = s.allowedHours.from > s.allowedHours.to || end.toISODate() === start.toISODate();
    if (!inHours(end, 'end') || !sameDay) return { code: 'outside-hours', reason: `its estimated end ${end.toFormat('HH:mm')} is outside the allowed hours ${s.allowedHours.text}` };
  }
  if (ctx.lastStartMs !== undefined && s.minIntervalMs > 0 && startMs - ctx.lastStartMs < s.minIntervalMs) {
    return { code: 'min-interval', reason: `the last run started ${Math.round((startMs - ctx.lastStartMs) / 60_000)} min before, less than the minimum interval of ${Math.round(s.minIntervalMs / 60_000)} min` };
  }
  return undefined;
}
