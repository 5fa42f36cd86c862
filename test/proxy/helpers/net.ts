import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** A real TCP server on 127.0.0.1 that tests point proxies at. */
export interface TestServer {
  port: number;
  address: string;
  /** Sockets accepted so far. */
  sockets: Socket[];
  close(): Promise<void>;
}

async function serve(onSocket: (s: Socket) => void): Promise<TestServer> {
  const sockets: Socket[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Echoes every byte back; half-closes after the client does. */
export function startEchoServer(): Promise<TestServer> {
  return serve((s) => {
    s.pipe(s);
  });
}

/** Sends `payload` to each client, then ends; whatever the client sends is read and kept in `received`. */
export function startSendServer(payload: Buffer, received: Buffer[][] = []): Promise<TestServer & { received: Buffer[][] }> {
  return serve((s) => {
    const mine: Buffer[] = [];
    received.push(mine);
    s.on('data', (b: Buffer) => mine.push(b));
    s.end(payload);
  }).then((srv) => Object.assign(srv, { received }));
}

/** Answers each `\n`-terminated line with the same line (a small request/response protocol). */
export function startLineEchoServer(): Promise<TestServer> {
  return serve((s) => {
    s.setNoDelay(true);
    s.pipe(s);
  });
}

export function connectTo(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, allowHalfOpen: true });
    s.setNoDelay(true);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Everything the socket receives until it ends or closes; rejects on a socket error or after `timeoutMs`. */
export function readAll(socket: Socket, timeoutMs = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`readAll timed out after ${timeoutMs} ms with ${Buffer.concat(parts).length} bytes`)), timeoutMs);
    socket.on('data', (b: Buffer) => parts.push(b));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const done = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    };
    socket.once('end', done);
    socket.once('close', done);
  });
}

/** Resolves with the first `n` bytes the socket receives (leaves the socket open). */
export function readBytes(socket: Socket, n: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`readBytes timed out after ${timeoutMs} ms with ${got} of ${n} bytes`));
    }, timeoutMs);
    const onData = (b: Buffer): void => {
      parts.push(b);
      got += b.length;
      if (got >= n) {
        clearTimeout(timer);
        socket.off('data', onData);
        const all = Buffer.concat(parts);
        if (all.length > n) socket.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    socket.on('data', onData);
  });
}

/** Sends `data` and measures the time until the same number of bytes came back (echo round trip). */
export async function roundTrip(socket: Socket, data: Buffer | string): Promise<{ ms: number; reply: Buffer }> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const start = performance.now();
  const reply = readBytes(socket, buf.length);
  socket.write(buf);
  const got = await reply;
  return { ms: performance.now() - start, reply: got };
}

/** Waits for a socket to close; resolves with the error it had, if any. */
export function closed(socket: Socket, timeoutMs = 10_000): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(undefined);
    let error: NodeJS.ErrnoException | undefined;
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e) => (error = e));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

export function randomPayload(bytes: number): Buffer {
  return randomBytes(bytes);
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes a large buffer in pieces, respecting backpressure, then half-closes. */
export async function writeAllAndEnd(socket: Socket, data: Buffer, piece = 64 * 1024): Promise<void> {
  for (let off = 0; off < data.length; off += piece) {
    if (!socket.write(data.subarray(off, off + piece))) await new Promise((r) => socket.once('drain', r));
  }
  socket.end();
}
