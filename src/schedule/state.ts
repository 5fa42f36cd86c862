import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join, resolve } from 'node:path';

/** What a scheduler remembers across restarts, per schedule. */
export interface ScheduleMemory {
  paused?: boolean;
  /** The latest slot it dealt with (ran, skipped or missed), epoch ms. */
  lastSlot?: number;
  /** When a run of it last started, epoch ms. */
  lastStart?: number;
}

/**
 * The scheduler's state directory: `state.json` (paused schedules, the last slot and start of each,
 * written whole and renamed into place) and `slots/`, where a scheduler claims a slot by creating a
 * file that must not exist yet: two schedulers on one state directory never run the same slot.
 */
export class SchedulerState {
  readonly dir: string;
  private readonly file: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.file = join(this.dir, 'state.json');
    mkdirSync(join(this.dir, 'slots'), { recursive: true });
  }

  read(): Record<string, ScheduleMemory> {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, ScheduleMemory>;
    } catch {
      return {};
    }
  }

  /** Changes one schedule's memory (read, change, write whole: other schedulers' changes to other schedules survive). */
  update(schedule: string, change: (m: ScheduleMemory) => ScheduleMemory): void {
    const all = this.read();
    all[schedule] = change(all[schedule] ?? {});
    writeFileAtomic(this.file, JSON.stringify(all, null, 2) + '\n');
  }

  /** Claims a slot for this scheduler: true if it is now ours, false if another one took it first. */
  claim(schedule: string, slotMs: number): boolean {
    const dir = join(this.dir, 'slots', schedule);
    mkdirSync(dir, { recursive: true });
    try {
      const fd = openSync(join(dir, new Date(slotMs).toISOString().replace(/:/g, '-')), 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }
}
