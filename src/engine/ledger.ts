import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FirebreakError } from '../errors.js';
import { scrubToRefs, type SecretSource } from '../log.js';
import type { JsonObject, Target } from '../faults/types.js';
import { HeldFile, type Found, type Verdict } from '../util/held-file.js';
import { currentHolder, describeHolder, holderStatus, type HolderIdentity } from '../util/holder.js';
import { LedgerReserve, appendLine, isNoSpace, isUnwritable } from './ledger-file.js';

/**
 * `forgotten`: closed by hand (`recover --forget`) for a system that no longer exists. `skipped`:
 * `recover` met unparsable lines (`lines`), reverted everything else, and says so here.
 */
export type LedgerEvent = 'intent' | 'applied' | 'reverted' | 'revert-failed' | 'forgotten' | 'skipped';

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
  /** `skipped`: the line numbers (1-based) recover could not parse. */
  lines?: number[];
  /** Where each secret referenced in this line (`${secret:name}`) comes from, for `recover` to read again. */
  secrets?: Record<string, SecretSource>;
}

/** A line that could not be parsed (not the last one, which a crash may legitimately cut short). */
export interface UnparsableLine {
  line: number;
  text: string;
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
  /** Sources of the secrets its state and driver configuration refer to. */
  secrets: Record<string, SecretSource>;
}

export function defaultLedgerPath(): string {
  return resolve(process.env.FIREBREAK_LEDGER ?? '.firebreak/ledger.jsonl');
}

/** How long a lock whose holder cannot be checked from here stays valid without a heartbeat. */
export function lockLeaseMs(): number {
  const v = Number(process.env.FIREBREAK_LOCK_LEASE_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 30_000;
}

export interface LedgerOpenOptions {
  /** Keep room for the reverts (a run): refuse to open when the reserve cannot be written. */
  reserve?: boolean;
  /**
   * What the caller found out by other means about a holder this host cannot check (for a ledger on a
   * shared volume, whether the pod that holds it still runs, as the cluster says): a holder known gone
   * is taken over at once, one known to run is not taken over even when its lease has run out.
   */
  knownHolder?: KnownHolder;
}

/** Who a ledger's lock file names. */
export type LockHolder = Partial<HolderIdentity>;

/** A lock holder's fate as found out by other means than this host's process table. */
export interface KnownHolder {
  holder: LockHolder;
  gone: boolean;
  /** `pod firebreak/gameday-1 no longer exists`, for messages. */
  why: string;
}

/**
 * The fault ledger: append-only JSON lines, each written whole and fsynced before the call returns,
 * so whatever a killed run left behind is on disk. A lock file naming its holder (pid, process start
 * time, boot id, pid namespace, host, container) keeps two processes off one ledger; a lock whose
 * holder is provably gone is taken over at once, one that cannot be checked when its lease runs out.
 */
export class Ledger {
  readonly path: string;
  /** Unparsable lines no `recover` has reported yet: a run refuses to start on them. */
  unreported: UnparsableLine[] = [];
  private fd: number | undefined;
  private readonly lockPath: string;
  private lock: HeldFile | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly reserve: LedgerReserve;
  /** Why no new intent may be written (the reserve was spent, the lock was lost). */
  private sealedBecause: string | undefined;
  /** Entries waiting for the next group write (`appendSoon`). */
  private group: { line: string; intent: boolean; resolve(): void; reject(err: unknown): void }[] = [];

  private constructor(path: string) {
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
    this.reserve = new LedgerReserve(`${this.path}.reserve`);
  }

  static open(path: string = defaultLedgerPath(), opts: LedgerOpenOptions = {}): Ledger {
    const ledger = new Ledger(path);
    try {
      mkdirSync(dirname(ledger.path), { recursive: true });
      try {
        ledger.takeLock(opts.knownHolder);
      } catch (err) {
        // A full disk: the reserve a run left is there for this too (recover must get in to revert).
        if (!isNoSpace(err) || !ledger.reserve.release()) throw err;
        ledger.takeLock(opts.knownHolder);
      }
      ledger.fd = openSync(ledger.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      if (opts.reserve) ledger.keepReserve();
      ledger.endTornLine();
      const { entries, unparsable } = Ledger.readLedger(ledger.path);
      const reported = new Set(entries.flatMap((e) => (e.event === 'skipped' ? (e.lines ?? []) : [])));
      ledger.unreported = unparsable.filter((u) => !reported.has(u.line));
    } catch (err) {
      ledger.close();
      if (isNoSpace(err)) {
        throw new FirebreakError('FIREBREAK_E_LEDGER_WRITE', `the disk holding the ledger ${ledger.path} is full: no room for its lock file (${(err as Error).message}); free some space`, { cause: err });
      }
      if (isUnwritable(err)) {
        throw new FirebreakError('FIREBREAK_E_LEDGER_UNWRITABLE', `cannot write next to the ledger ${ledger.path}: ${(err as NodeJS.ErrnoException).code} (${(err as Error).message}); use a writable --ledger`, { cause: err });
      }
      throw err;
    }
    return ledger;
  }

  /** Reads a ledger without locking it: every parsable line, and the unparsable ones but a torn last line. */
  static readLedger(path: string = defaultLedgerPath()): { entries: LedgerEntry[]; unparsable: UnparsableLine[] } {
    if (!existsSync(path)) return { entries: [], unparsable: [] };
    const lines = readFileSync(path, 'utf8').split('\n');
    const entries: LedgerEntry[] = [];
    const unparsable: UnparsableLine[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        entries.push(JSON.parse(line) as LedgerEntry);
      } catch {
        // A crash can cut only the last line short (its append never returned); others are reported.
        if (i < lines.length - 1) unparsable.push({ line: i + 1, text: line.slice(0, 120) });
      }
    });
    return { entries, unparsable };
  }

  /** Reads a ledger's parsable entries without locking it (status, tests). */
  static readEntries(path: string = defaultLedgerPath()): LedgerEntry[] {
    return Ledger.readLedger(path).entries;
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

  /** Why new intents are refused, if they are. */
  get sealed(): string | undefined {
    return this.sealedBecause;
  }

  /** Refuses every later intent (the process is failing, the disk is full): reverts may still be written. */
  seal(reason: string): void {
    this.sealedBecause ??= reason;
  }

  /**
   * Writes one entry, whole, or throws FIREBREAK_E_LEDGER_WRITE and leaves the file as it was. A full
   * disk spends the reserve on this line and seals the ledger: faults already applied can still be
   * closed, no new one is applied.
   */
  append(entry: Omit<LedgerEntry, 'v' | 'at' | 'pid'>): void {
    this.writeLines([this.lineOf(entry)]);
  }

  /**
   * Like `append`, but entries requested in the same turn of the event loop are written together: one
   * write and one fsync for the group (faults applied and reverted in parallel). Resolves once the
   * entry is durable; rejects, like `append` throws, when it could not be written, and then nothing of
   * the group was written. An intent is refused at once if the ledger is sealed.
   */
  appendSoon(entry: Omit<LedgerEntry, 'v' | 'at' | 'pid'>): Promise<void> {
    let line: string;
    try {
      line = this.lineOf(entry);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.group.push({ line, intent: entry.event === 'intent', resolve, reject });
      if (this.group.length === 1) setImmediate(() => this.flushGroup());
    });
  }

  private flushGroup(): void {
    const group = this.group;
    this.group = [];
    // Sealed since they were queued (the disk filled, the lock was lost): no new intent goes in.
    const refused = this.sealedBecause ? group.filter((g) => g.intent) : [];
    for (const g of refused) g.reject(this.sealedError());
    const writing = refused.length ? group.filter((g) => !g.intent) : group;
    if (writing.length === 0) return;
    try {
      this.writeLines(writing.map((g) => g.line));
    } catch (err) {
      for (const g of writing) g.reject(err);
      return;
    }
    for (const g of writing) g.resolve();
  }

  private lineOf(entry: Omit<LedgerEntry, 'v' | 'at' | 'pid'>): string {
    if (this.fd === undefined) throw new FirebreakError('FIREBREAK_E_INTERNAL', 'ledger is closed');
    if (entry.event === 'intent' && this.sealedBecause) throw this.sealedError();
    // Secrets are written as references to their source, never as values: recover reads them again.
    const used: Record<string, SecretSource> = {};
    const clean = scrubToRefs({ v: 1, at: new Date().toISOString(), pid: process.pid, ...entry }, used);
    return JSON.stringify(Object.keys(used).length ? { ...clean, secrets: used } : clean) + '\n';
  }

  private sealedError(): FirebreakError {
    return new FirebreakError('FIREBREAK_E_LEDGER_WRITE', `no new fault is applied: ${this.sealedBecause}`);
  }

  // Whole lines or nothing, fsynced; a full disk spends the reserve and seals the ledger.
  private writeLines(lines: string[]): void {
    if (this.fd === undefined) throw new FirebreakError('FIREBREAK_E_INTERNAL', 'ledger is closed');
    const text = lines.join('');
    try {
      appendLine(this.fd, text);
    } catch (err) {
      if (!isNoSpace(err) || !this.reserve.release()) throw this.writeError(err);
      this.seal(`the disk holding ${this.path} is full (the ledger's reserve was released)`);
      try {
        appendLine(this.fd, text);
      } catch (again) {
        throw this.writeError(again);
      }
    }
  }

  close(): void {
    // Entries still waiting for their group write are written (or refused) before the file closes.
    if (this.group.length) this.flushGroup();
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.lock?.release();
    this.lock = undefined;
  }

  private writeError(err: unknown): FirebreakError {
    const e = err as NodeJS.ErrnoException;
    return new FirebreakError('FIREBREAK_E_LEDGER_WRITE', `cannot write to the ledger ${this.path}: ${e.code ?? 'error'} (${e.message})`, { cause: err });
  }

  private keepReserve(): void {
    try {
      this.reserve.ensure();
    } catch (err) {
      if (isUnwritable(err)) throw err;
      throw new FirebreakError('FIREBREAK_E_LEDGER_WRITE', `no room next to the ledger ${this.path} for the space kept for reverts (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free some space first`, { cause: err });
    }
  }

  private takeLock(known?: KnownHolder): void {
    const got = HeldFile.acquire<LockHolder>(this.lockPath, currentHolder(), (found) =>
      known && found.content && sameHolder(found.content, known.holder)
        ? { stale: known.gone, why: known.gone ? `${describeHolder(known.holder)} is gone (${known.why})` : `in use by ${describeHolder(known.holder)} (${known.why})` }
        : judgeLock(found),
    );
    if (!(got instanceof HeldFile)) {
      throw new FirebreakError('FIREBREAK_E_LEDGER_LOCKED', `the ledger ${this.path} is ${got.busy.why}; wait for it to finish or use another --ledger`, {
        details: { holder: got.content, canWait: /lease/.test(got.busy.why) },
      });
    }
    this.lock = got;
    const lease = lockLeaseMs();
    this.heartbeat = setInterval(() => this.beat(), Math.max(200, Math.floor(lease / 6)));
    this.heartbeat.unref();
  }

  // Keeps the lease of a holder other hosts cannot check; notices a lock someone else took over.
  private beat(): void {
    try {
      this.lock?.touch();
      if (this.lock && !this.lock.stillOurs()) this.seal(`another process took over the lock of ${this.path}`);
    } catch {
      // a heartbeat that fails is retried at the next beat
    }
  }
}

/** Who holds the lock of the ledger at `ledgerPath`, if anyone. */
export function readLockHolder(ledgerPath: string): LockHolder | undefined {
  return HeldFile.peek<LockHolder>(`${resolve(ledgerPath)}.lock`)?.content;
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.host === b.host && a.since === b.since;
}

/** The ledger lock's rule: held while its holder provably runs, or, when that cannot be checked, while its lease lasts. */
function judgeLock(found: Found<Partial<HolderIdentity>>): Verdict {
  const h = found.content;
  if (!h) return { stale: true, why: 'unreadable' };
  const status = holderStatus(h);
  if (status === 'dead') return { stale: true, why: `${describeHolder(h)} is gone` };
  if (status === 'alive') return { stale: false, why: `in use by ${describeHolder(h)}` };
  const lease = lockLeaseMs();
  if (found.ageMs > lease) return { stale: true, why: `${describeHolder(h)} sent no heartbeat for ${Math.round(found.ageMs / 1000)} s` };
  return {
    stale: false,
    why: `in use by ${describeHolder(h)}, which cannot be checked from here; its lease runs out ${Math.ceil((lease - found.ageMs) / 1000)} s from now unless it sends a heartbeat`,
  };
}

export function openFaultsOf(entries: LedgerEntry[]): OpenFault[] {
  const byId = new Map<string, OpenFault>();
  for (const e of entries) {
    if (e.event === 'intent' && e.fault && e.driver && e.state) {
      byId.set(e.id, {
        id: e.id, runId: e.runId, fault: e.fault, driver: e.driver, driverConfig: e.driverConfig ?? {},
        ...(e.target ? { target: e.target } : {}), state: e.state, ...(e.description ? { description: e.description } : {}),
        applied: false, failedReverts: 0, since: e.at, secrets: { ...e.secrets },
      });
    } else if (e.event === 'applied') {
      const f = byId.get(e.id);
      if (f) {
        f.applied = true;
        if (e.state) f.state = e.state;
        Object.assign(f.secrets, e.secrets);
      }
    } else if (e.event === 'revert-failed') {
      const f = byId.get(e.id);
      if (f) f.failedReverts++;
    } else if (e.event === 'reverted' || e.event === 'forgotten') byId.delete(e.id);
  }
  return [...byId.values()];
}
