import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';

/** Bytes kept aside next to the ledger, released when the disk fills so the reverts can still be written. */
export const LEDGER_RESERVE_BYTES = 64 * 1024;

/** Errors that mean "no room" (a full disk, a quota, a file size limit). */
export function isNoSpace(err: unknown): boolean {
  return ['ENOSPC', 'EDQUOT', 'EFBIG'].includes((err as NodeJS.ErrnoException)?.code ?? '');
}

/** Errors that mean the ledger's place cannot be written at all. */
export function isUnwritable(err: unknown): boolean {
  return ['EROFS', 'EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * Appends one whole line and fsyncs it, or leaves the file as it was and throws. `write` may write
 * less than asked (a disk filling up, a signal): the rest is written in a loop; if that fails, the
 * part already written is cut off again, so a torn line is never mistaken for a durable one.
 */
export function appendLine(fd: number, line: string): void {
  const buf = Buffer.from(line);
  const before = fstatSync(fd).size;
  let written = 0;
  try {
    while (written < buf.length) {
      const n = writeSync(fd, buf, written, buf.length - written);
      if (n <= 0) throw Object.assign(new Error(`short write: ${written} of ${buf.length} bytes`), { code: 'EIO' });
      written += n;
    }
    fsyncSync(fd);
  } catch (err) {
    if (written > 0) {
      try {
        ftruncateSync(fd, before);
        fsyncSync(fd);
      } catch {
        // The cut failed too: the next open cuts the torn line (its append never returned).
      }
    }
    throw err;
  }
}

/**
 * Room kept for the ledger: a file of real (incompressible) bytes next to it. When an append finds
 * the disk full, the reserve is deleted and the append tried again: the lines that close faults
 * (reverted, revert-failed) then still fit. A run needs the reserve to start; recover uses it if present.
 */
export class LedgerReserve {
  constructor(readonly path: string) {}

  /** Makes sure the reserve exists at full size; throws (ENOSPC, EROFS, ...) when it cannot. */
  ensure(bytes = LEDGER_RESERVE_BYTES): void {
    try {
      if (statSync(this.path).size >= bytes) return;
    } catch {
      // absent: create it
    }
    const fd = openSync(this.path, 'w', 0o600);
    try {
      const chunk = randomBytes(Math.min(bytes, 16 * 1024));
      for (let done = 0; done < bytes; ) {
        const n = writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
        if (n <= 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        done += n;
      }
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      this.release();
      throw err;
    }
    closeSync(fd);
  }

  /** Deletes the reserve; true when there was one to give back. */
  release(): boolean {
    try {
      unlinkSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}
