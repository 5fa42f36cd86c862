import { CronTime } from 'cron';
import { DateTime, IANAZone } from 'luxon';

/**
 * Fire times of a cron expression in a time zone, with the daylight-saving rules written down rather
 * than left to chance. `cron`'s parser decides which *wall-clock* times match; this module turns each
 * matching wall time into exactly one instant:
 * - a wall time that happens once: that instant;
 * - a wall time that happens twice (clocks go back): the first of the two, never both;
 * - a wall time that does not happen (clocks go forward): shifted forward by the gap (02:30 on a day
 *   when 02:00 jumps to 03:00 fires at 03:30), so a game day is never silently lost.
 * This holds for any offset change, half-hour ones included (Australia/Lord_Howe).
 */
export class FireTimes {
  private readonly cron: CronTime;
  private readonly zone: IANAZone;

  constructor(readonly expression: string, readonly timeZone: string) {
    this.zone = IANAZone.create(timeZone);
    if (!this.zone.isValid) throw new RangeError(`unknown time zone "${timeZone}"`);
    const check = CronTime.validateCronExpression(expression);
    if (!check.valid) throw new RangeError(check.error?.message ?? `invalid cron expression "${expression}"`);
    // Matching happens on wall-clock times, which behave like UTC: no offsets, no gaps.
    this.cron = new CronTime(expression, 'UTC');
  }

  /** The first fire instant strictly after `afterMs` (epoch ms). */
  next(afterMs: number): number {
    let wall = this.wallOf(afterMs);
    for (let guard = 0; guard < 100_000; guard++) {
      const nextWall = this.cron.getNextDateFrom(DateTime.fromMillis(wall, { zone: 'utc' }), 'UTC').toMillis();
      const instants = this.instantsOf(nextWall);
      if (instants.length === 0) {
        const shifted = this.shiftedForward(nextWall);
        if (shifted > afterMs) return shifted;
      } else {
        // Clocks going back: the wall time happens twice; fire at the first only.
        if (instants[0]! > afterMs) return instants[0]!;
      }
      wall = nextWall;
    }
    throw new RangeError(`no fire time found for "${this.expression}" in ${this.timeZone}`);
  }

  /** The next `count` fire instants after `afterMs`. */
  upcoming(afterMs: number, count: number): number[] {
    const out: number[] = [];
    let t = afterMs;
    for (let i = 0; i < count; i++) {
      t = this.next(t);
      out.push(t);
    }
    return out;
  }

  /** Fire instants in (fromMs, toMs], oldest first (for slots missed while no scheduler ran), at most `limit`. */
  between(fromMs: number, toMs: number, limit = 1000): number[] {
    const out: number[] = [];
    let t = fromMs;
    while (out.length < limit) {
      t = this.next(t);
      if (t > toMs) break;
      out.push(t);
    }
    return out;
  }

  /** An instant's wall-clock time in the zone, as epoch ms of the same digits in UTC. */
  private wallOf(ms: number): number {
    return ms + this.zone.offset(ms) * 60_000;
  }

  /** Every instant whose wall-clock time in the zone is `wall` (none in a gap, two in an overlap). */
  private instantsOf(wall: number): number[] {
    const offsets = new Set([this.zone.offset(wall - 86_400_000), this.zone.offset(wall), this.zone.offset(wall + 86_400_000)]);
    const out = [...offsets].map((o) => wall - o * 60_000).filter((t) => this.wallOf(t) === wall);
    return [...new Set(out)].sort((a, b) => a - b);
  }

  /** A wall time inside a gap, read with the offset before the gap: that many minutes after the gap starts. */
  private shiftedForward(wall: number): number {
    return wall - this.zone.offset(wall - 86_400_000) * 60_000;
  }
}

/** A fire instant as people read it in the schedule's zone: `2026-03-29 03:30 CEST (+02:00)`. */
export function formatInZone(ms: number, timeZone: string): string {
  return DateTime.fromMillis(ms, { zone: timeZone }).toFormat("yyyy-LL-dd HH:mm:ss ZZZZ '('ZZ')' ccc");
}
