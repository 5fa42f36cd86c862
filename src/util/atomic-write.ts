import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Writes a whole file and fsyncs it under a temporary name, then renames it into place: a reader, or a crash, never sees half of it. */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    const data = Buffer.from(text);
    let n = 0;
    while (n < data.length) n += writeSync(fd, data, n, data.length - n);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
