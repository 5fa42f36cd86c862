import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, unlinkSync, writeSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { FirebreakError } from '../errors.js';
import { scrub } from '../log.js';
import type { JsonObject, Target } from '../faults/types.js';

/** `forgotten`: closed by hand (`recover --forget`) for a system that no longer exists. */
export type LedgerEvent = 'intent' | 'applied' | 'reverted' | 'revert-failed' | 'forgotten';

/**
 * One line of the ledger. An `intent` carries everything needed to revert the fault from another
 * process: the driver and its configuration (reconnect), the target and the fault's state.
 */
export interface LedgerEntry {
  v: 1;
  at: string;
  event: LedgerEvent;
  /** `<runId>-<fault index>-<target index>`: one applied instance. */
  id: string;
  runId: string;
  fault?: string;
  driver?: string;
  driverConfig?: JsonObject;
  target?: Target;
  state?: JsonObject;
  description?: string;
  error?: string;
  pid?: number;
}

/** An instance whose intent or apply was recorded and whose revert was not. */
export interface OpenFault {
  id: string;
  runId: string;
  fault: string;
  driver: string;
  driverConfig: JsonObject;
  target?: Target;
  state: JsonObject;
  description?: string;
  applied: boolean;
  failedReverts: number;
  since: string;
}

export function defaultLedgerPath(): string {
  return resolve(process.env.FIREBREAK_LEDGER ?? '.firebreak/ledger.jsonl');
}

/**
 * The fault ledger: append-only JSON lines, each fsynced before the call returns, so whatever a
 * killed run left behind is on disk. A lock file (pid and host) keeps two runs off one ledger; a lock
 * whose process is gone is taken over.
 */
export class Ledger {
  readonly path: string;
  private fd: number | undefined;
  private readonly lockPath: string;
  private locked = false;

  private constructor(path: string) {
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
  }

  /**
   * `takeOverFrom`: a lock holder the caller has found to be gone by other means (a pod the cluster
   * says no longer exists, for a ledger on a shared volume); its lock is taken over like a dead
   * process's on this host.
   */
  static open(path: string = defaultLedgerPath(), opts: { takeOverFrom?: LockHolder } = {}): Ledger {
    const ledger = new Ledger(path);
    mkdirSync(dirname(ledger.path), { recursive: true });
    ledger.lock(opts.takeOverFrom);
    try {
      ledger.fd = openSync(ledger.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      ledger.read();
      ledger.endTornLine();
    } catch (err) {
      ledger.close();
      throw err;
    }
    return ledger;
  }

  /** Reads a ledger without locking it (status, tests). */
  static readEntries(path: string = defaultLedgerPath()): LedgerEntry[] {
    if (!existsSync(path)) return [];
    const lines = readFileSync(path, 'utf8').split('\n');
    const out: LedgerEntry[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as LedgerEntry);
      } catch (err) {
        // A crash can cut only the last line short; anything else is corruption.
        if (i >= lines.length - 2) return;
        throw new FirebreakError('FIREBREAK_E_LEDGER_CORRUPT', `${path}:${i + 1}: cannot parse ledger line`, { cause: err });
      }
    });
    return out;
  }

  /**
   * A crash mid-write can leave a last line without its newline. Its append never returned, so no
   * caller relied on it: cut it off, so the next entry starts on a line of its own.
   */
  private endTornLine(): void {
    const text = readFileSync(this.path);
    if (text.length === 0 || text[text.length - 1] === 0x0a) return;
    truncateSync(this.path, text.lastIndexOf(0x0a) + 1);
    fsyncSync(this.fd!);
  }

  read(): LedgerEntry[] {
    return Ledger.readEntries(this.path);
  }

  /** Every instance not reverted, oldest first. */
  openFaults(): OpenFault[] {
    return openFaultsOf(this.read());
  }

  append(entry: Omit<LedgerEntry, 'v' | 'at' | 'pid'>): void {
    if (this.fd === undefined) throw new FirebreakError('FIREBREAK_E_INTERNAL', 'ledger is closed');
    const line = JSON.stringify(scrub({ v: 1, at: new Date().toISOString(), pid: process.pid, ...entry })) + '\n';
    writeSync(this.fd, line);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    if (this.locked) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        // already gone
      }
      this.locked = false;
    }
  }

  /**
   * Moves a dead owner's lock aside atomically (rename), then checks that what was moved is that dead
   * lock: if another process took it over in between, its live lock is put back and the caller retries.
   */
  private takeOver(dead: LockHolder): void {
    const aside = `${this.lockPath}.stale-${process.pid}-${Date.now()}`;
    try {
      renameSync(this.lockPath, aside);
    } catch {
      return; // gone already: someone else moved it
    }
    const moved = lockHolder(aside);
    if (moved !== undefined && !sameHolder(moved, dead) && (moved.host !== hostname() || moved.pid === undefined || alive(moved.pid))) {
      try {
        renameSync(aside, this.lockPath);
      } catch {
        // the live owner's lock could not be restored; it will see LEDGER_LOCKED-free state and re-lock
      }
      return;
    }
    try {
      unlinkSync(aside);
    } catch {
      // ignore
    }
  }

  private lock(gone?: LockHolder): void {
    const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx', 0o600);
        writeSync(fd, me);
        fsyncSync(fd);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: LockHolder = {};
      try {
        holder = JSON.parse(readFileSync(this.lockPath, 'utf8')) as typeof holder;
      } catch {
        // A lock file cut short by a crash holds no live owner.
      }
      if (holder.pid === undefined || (holder.host === hostname() && !alive(holder.pid)) || (gone !== undefined && sameHolder(holder, gone))) {
        this.takeOver(holder);
        continue;
      }
      throw new FirebreakError(
        'FIREBREAK_E_LEDGER_LOCKED',
        `the ledger ${this.path} is in use by process ${holder.pid} on ${holder.host} since ${holder.since}; wait for it to finish or use another --ledger`,
      );
    }
    throw new FirebreakError('FIREBREAK_E_LEDGER_LOCKED', `could not lock ${this.path}`);
  }
}

/** Who a lock file names: process, host and since when. */
export interface LockHolder {
  pid?: number;
  host?: string;
  since?: string;
}

/** The holder a lock file names, the file's own check before a takeover. */
function lockHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Who holds the lock of the ledger at `ledgerPath`, if anyone. */
export function readLockHolder(ledgerPath: string): LockHolder | undefined {
  return lockHolder(`${resolve(ledgerPath)}.lock`);
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.host === b.host && a.since === b.since;
}

export function openFaultsOf(entries: LedgerEntry[]): OpenFault[] {
  const byId = new Map<string, OpenFault>();
  for (const e of entries) {
    if (e.event === 'intent' && e.fault && e.driver && e.state) {
      byId.set(e.id, {
        id: e.id, runId: e.runId, fault: e.fault, driver: e.driver, driverConfig: e.driverConfig ?? {},
        ...(e.target ? { target: e.target } : {}), state: e.state, ...(e.description ? { description: e.description } : {}),
        applied: false, failedReverts: 0, since: e.at,
      });
    } else if (e.event === 'applied') {
      const f = byId.get(e.id);
      if (f) {
        f.applied = true;
        if (e.state) f.state = e.state;
      }
    } else if (e.event === 'revert-failed') {
      const f = byId.get(e.id);
      if (f) f.failedReverts++;
    } else if (e.event === 'reverted' || e.event === 'forgotten') byId.delete(e.id);
  }
  return [...byId.values()];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
