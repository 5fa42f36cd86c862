import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, futimesSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';

/** What the owner of an existing file is, as judged by the caller's rules. */
export type Verdict = { stale: true; why: string } | { stale: false; why: string };

/** An existing file as a contender found it. */
export interface Found<T> {
  content: T | undefined;
  /** Milliseconds since its last heartbeat (its mtime). */
  ageMs: number;
}

/**
 * A file that one process at a time holds (a lock, a claim): created complete and atomically (written
 * aside, then hard-linked into place, so nobody ever reads it half-written), kept alive by touching it
 * (its mtime is the heartbeat), and released only while it is still ours. A contender takes over a
 * stale one by moving it aside atomically and checking that what it moved is what it judged stale.
 */
export class HeldFile {
  /** Use HeldFile.acquire. */
  constructor(
    readonly path: string,
    private fd: number | undefined,
    private readonly ino: number,
  ) {}

  /**
   * Creates `path` holding `content`, taking over a file whose owner `judge` finds stale.
   * Returns the held file, or the verdict on the live owner that kept it. File system errors
   * (read-only, no space) are thrown as they are.
   */
  static acquire<T>(path: string, content: unknown, judge: (found: Found<T>) => Verdict): HeldFile | { busy: Verdict; content: T | undefined } {
    const text = JSON.stringify(content) + '\n';
    for (let attempt = 0; attempt < 5; attempt++) {
      const created = create(path, text);
      if (created) return created;
      const found = readFound<T>(path);
      if (!found) continue; // gone in between: try again
      const verdict: Verdict =
        found.found.content === undefined && found.found.ageMs < YOUNG_FILE_MS
          ? { stale: false, why: 'it is being written by the process creating it' }
          : judge(found.found);
      if (!verdict.stale) return { busy: verdict, content: found.found.content };
      takeOver(path, found.ino);
    }
    return { busy: { stale: false, why: 'it changed hands repeatedly while this process tried to take it over' }, content: undefined };
  }

  /** Reads the file as a contender would (undefined when absent). */
  static peek<T>(path: string): Found<T> | undefined {
    return readFound<T>(path)?.found;
  }

  /** True while the path still names the file this holder created. */
  stillOurs(): boolean {
    try {
      return statSync(this.path).ino === this.ino;
    } catch {
      return false;
    }
  }

  /** The heartbeat: a fresh mtime on our own inode (never on a file that replaced it). */
  touch(): void {
    if (this.fd === undefined) return;
    const now = new Date();
    futimesSync(this.fd, now, now);
  }

  /** Leaves the file in place for whoever reads it later (a claim): only the descriptor is closed. */
  keep(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Removes the file at `path` if `isOurs` says its content is ours, moving it aside first so a file
   * that replaced it in between is put back, never deleted. Works from any process (no descriptor).
   */
  static removeIf<T>(path: string, isOurs: (content: T | undefined) => boolean): boolean {
    const aside = `${path}.release-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      return false;
    }
    let content: T | undefined;
    try {
      content = JSON.parse(readFileSync(aside, 'utf8')) as T;
    } catch {
      content = undefined;
    }
    if (!isOurs(content)) {
      restore(aside, path);
      return false;
    }
    safeUnlink(aside);
    return true;
  }

  /** Removes the file if, and only if, it is still ours; a file that replaced ours is left in place. */
  release(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
    this.fd = undefined;
    const aside = `${this.path}.release-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(this.path, aside);
    } catch {
      return; // gone: nothing of ours to remove
    }
    if (statSync(aside).ino !== this.ino) restore(aside, this.path);
    else safeUnlink(aside);
  }
}

function create(path: string, text: string): HeldFile | undefined {
  const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx+', 0o600);
  try {
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        closeSync(fd);
        return undefined;
      }
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      // No hard links here (some network and FUSE file systems): an exclusive rename-free fallback.
      closeSync(fd);
      return createWithoutLink(path, text);
    }
    return new HeldFile(path, fd, fstatSync(fd).ino);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    throw err;
  } finally {
    safeUnlink(tmp);
  }
}

// Without hard links the file is created empty and then written: a contender gives a young unreadable
// file the benefit of the doubt (see readFound), so the empty moment is not taken for a dead owner.
function createWithoutLink(path: string, text: string): HeldFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx+', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
  fsyncSync(fd);
  return new HeldFile(path, fd, fstatSync(fd).ino);
}

/** How long an unreadable (empty, torn) file is presumed to be still being written by its creator. */
export const YOUNG_FILE_MS = 10_000;

function readFound<T>(path: string): { found: Found<T>; ino: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const ageMs = Math.max(0, Date.now() - st.mtimeMs);
    let content: T | undefined;
    try {
      content = JSON.parse(readFileSync(fd, 'utf8')) as T;
    } catch {
      content = undefined;
    }
    return { found: { content, ageMs }, ino: st.ino };
  } finally {
    closeSync(fd);
  }
}

/** Moves a stale file aside; if what moved is not the file judged stale (it changed hands), puts it back. */
function takeOver(path: string, judgedIno: number): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  if (statSync(aside).ino !== judgedIno) restore(aside, path);
  else safeUnlink(aside);
}

// Puts a file that is not ours back; if a new one appeared meanwhile, that one stays and this is dropped.
function restore(aside: string, path: string): void {
  try {
    linkSync(aside, path);
  } catch {
    // a newer file took the place
  }
  safeUnlink(aside);
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
