import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A tmpfs of `kib` KiB mounted on a fresh directory: a real file system that fills up, or turns read-only. */
export interface SmallFs {
  dir: string;
  /** Writes a file until the file system is full (ENOSPC); returns its path. */
  fill(name?: string): string;
  readOnly(): void;
  unmount(): void;
}

export function mountSmallFs(kib: number): SmallFs | string {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-smallfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
  }
  return {
    dir,
    fill(name = 'filler') {
      const path = join(dir, name);
      const fd = openSync(path, 'a');
      const block = Buffer.alloc(1024, 0x61);
      try {
        for (;;) writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      // A few bytes may still fit in a partly used page: take them too.
      const small = openSync(path, 'a');
      try {
        for (;;) writeSync(small, Buffer.from('b'));
      } catch {
        // full
      } finally {
        closeSync(small);
      }
      return path;
    },
    readOnly() {
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe', timeout: 10_000 });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe', timeout: 10_000 });
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** For a suite's `before`: the file system, or a printed skip (a failure with FIREBREAK_REQUIRE_TMPFS=1). */
export function requireSmallFs(ctx: Mocha.Context, kib: number): SmallFs {
  const fs = mountSmallFs(kib);
  if (typeof fs !== 'string') return fs;
  if (process.env.FIREBREAK_REQUIRE_TMPFS === '1') throw new Error(`FIREBREAK_REQUIRE_TMPFS=1 but ${fs}`);
  console.log(`      skipping: ${fs} (needs root; set FIREBREAK_REQUIRE_TMPFS=1 to fail instead)`);
  ctx.skip();
  throw new Error('unreachable');
}
