import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads a regular file of at most `maxBytes`, or throws with a reason a person can act on. A device,
 * FIFO, socket or terminal is refused before any read (`/dev/zero` never ends, `/dev/stdin` may never
 * answer), and the open itself cannot block (O_NONBLOCK: opening a FIFO without a writer waits forever).
 */
export function readBoundedFile(path: string | URL, maxBytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`is not a regular file (${kindOf(st)})`);
    if (st.size > maxBytes) throw new Error(`is larger than ${maxBytes} bytes (${st.size})`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) throw new Error(`is larger than ${maxBytes} bytes`);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: import('node:fs').Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a file';
}
