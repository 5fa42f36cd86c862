import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where one request goes: a host and port, and the source address when stickiness is by client address. */
export interface Endpoint {
  host: string;
  port: number;
  localAddress?: string;
}

/** How a request ended: its status (0 when no response head arrived), body bytes, and whether it failed. */
export type Outcome = (status: number, bodyBytes: number, broken: boolean) => void;

/** A request on its way; `abort` ends it (a timeout, a stop) and closes its connection. */
export interface Pending {
  abort(): void;
}

/** How a request ended on one connection: as `Outcome`, and whether not one byte of an answer arrived. */
type ConnOutcome = (status: number, bodyBytes: number, broken: boolean, unanswered: boolean) => void;

// Methods RFC 9110 (9.2.2) calls idempotent and safe to repeat without asking: only these are sent again
// when a kept-alive connection turns out to have been closed under them.
const RETRYABLE = ['GET ', 'HEAD ', 'OPTIONS ', 'TRACE '].map((m) => Buffer.from(m, 'latin1'));

// A response head larger than this is refused (node:http's default limit is 16 KiB).
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * HTTP/1.1 keep-alive connections for the load generator, one request at a time on each (no
 * pipelining), reused last-in first-out. It writes each request whole in one write and reads only
 * what the generator needs of a response (status, framing, body size), with none of node:http's
 * per-request objects, streams and listeners. Measured side by side on this project's 2-core machines
 * (the generator in its thread, one server process): node:http's client cost 340-370 µs of CPU per
 * request at 1,000-2,000 requests/s and fell behind at 2,000/s on a busy machine (seconds of queueing
 * it then measured as latency); this pool costs 120-210 µs and held both rates in every second.
 *
 * Framing follows RFC 9112: 1xx heads are skipped, HEAD requests and 204/304 have no body, chunked
 * bodies are decoded (trailers skipped), Content-Length is honoured, and a body without either runs
 * to the close. A connection is reused only after a complete response without `Connection: close`
 * on HTTP/1.1; an idle connection the server closes is dropped from the pool.
 *
 * A server closes a kept-alive connection when it has been idle for its keep-alive timeout, and a
 * request written just as that close crosses it fails without the server ever having seen it: an
 * error of the race, not of the target, which would count against the cohort (one such error among
 * 300 requests is enough to leave an "errors.rate < 1%" check undecided). As browsers and Go's client
 * do (RFC 9112 9.3.1), the pool avoids and absorbs the race: a connection is not reused past the
 * idle time the server announces (`Keep-Alive: timeout=N`, less a margin), and an idempotent request
 * whose reused connection closed before a single byte of answer is sent once more on a new connection
 * (its latency counts from the first attempt). A request on a new connection is never repeated, nor
 * a POST, so a server that really drops requests is still seen failing. `retries` counts the repeats.
 */
export class HttpPool {
  private readonly idle = new Map<string, Conn[]>();
  private readonly all = new Set<Conn>();
  private closed = false;
  /** Requests sent again on a new connection after their kept-alive one was closed under them. */
  retries = 0;

  constructor(private readonly opts: { secure: boolean }) {}

  /** Sends `request` (head and body, already serialised) and calls `done` once, however it ends. */
  send(to: Endpoint, request: Buffer, expectBody: boolean, done: Outcome): Pending {
    const key = `${to.host}\0${to.port}\0${to.localAddress ?? ''}`;
    const reused = this.takeIdle(key);
    // A request on a new connection is never sent again: no wrapper for it.
    if (!reused) return this.connect(to, key).start(request, expectBody, done);
    let aborted = false;
    let current: Pending;
    const first = (status: number, bytes: number, broken: boolean, unanswered: boolean): void => {
      if (broken && unanswered && !aborted && !this.closed && RETRYABLE.some((m) => request.subarray(0, m.length).equals(m))) {
        this.retries += 1;
        current = this.connect(to, key).start(request, expectBody, done);
        return;
      }
      done(status, bytes, broken);
    };
    current = reused.start(request, expectBody, first);
    return {
      abort: () => {
        aborted = true;
        current.abort();
      },
    };
  }

  /** Closes every connection; requests still on their way end as failed. */
  destroy(): void {
    this.closed = true;
    for (const c of [...this.all]) c.destroy();
    this.all.clear();
    this.idle.clear();
  }

  private connect(to: Endpoint, key: string): Conn {
    const conn = new Conn(this.open(to), key, (c) => this.release(c), (c) => this.forget(c));
    this.all.add(conn);
    return conn;
  }

  private open(to: Endpoint): Socket {
    const base = { host: to.host, port: to.port, ...(to.localAddress ? { localAddress: to.localAddress } : {}) };
    // SNI names a host, never an address (RFC 6066), as node:https does.
    const socket = this.opts.secure ? tlsConnect({ ...base, ...(isIP(to.host) ? {} : { servername: to.host }), ALPNProtocols: ['http/1.1'] }) : netConnect(base);
    socket.setNoDelay(true);
    return socket;
  }

  private takeIdle(key: string): Conn | undefined {
    const stack = this.idle.get(key);
    const now = performance.now();
    while (stack && stack.length > 0) {
      const c = stack.pop()!;
      if (c.usable && now < c.reuseBefore) return c;
      c.destroy();
    }
    return undefined;
  }

  private release(c: Conn): void {
    if (this.closed) return c.destroy();
    let stack = this.idle.get(c.key);
    if (!stack) this.idle.set(c.key, (stack = []));
    stack.push(c);
  }

  // A closed connection leaves `all` at once; an idle stack skips it when it comes up.
  private forget(c: Conn): void {
    this.all.delete(c);
  }
}

type BodyState = 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close';

/** One connection and the response it is reading. */
class Conn {
  private done: ConnOutcome | undefined;
  /** Whether any byte of an answer to the current request arrived. */
  private answered = false;
  /** From the server's `Keep-Alive: timeout=N`: past this instant (performance.now()) the connection is not reused. */
  reuseBefore = Infinity;
  private expectBody = true;
  private head: Buffer | undefined;
  private status = 0;
  private bodyBytes = 0;
  private state: BodyState | 'head' = 'head';
  private remaining = 0;
  private line = '';
  private keepAlive = true;
  private dead = false;
  /** Counts the requests this connection carried, so a late abort of an earlier one does nothing. */
  private generation = 0;

  constructor(
    private readonly socket: Socket,
    readonly key: string,
    private readonly onIdle: (c: Conn) => void,
    private readonly onClosed: (c: Conn) => void,
  ) {
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', () => this.end(true));
    socket.on('close', () => this.end(true));
    socket.on('end', () => this.end(!this.finishByClose()));
  }

  get usable(): boolean {
    return !this.dead && !this.socket.destroyed;
  }

  start(request: Buffer, expectBody: boolean, done: ConnOutcome): Pending {
    this.done = done;
    this.answered = false;
    this.expectBody = expectBody;
    this.state = 'head';
    this.head = undefined;
    this.status = 0;
    this.bodyBytes = 0;
    this.keepAlive = true;
    const generation = ++this.generation;
    this.socket.write(request);
    return {
      abort: () => {
        if (this.generation === generation && this.done) this.destroy();
      },
    };
  }

  destroy(): void {
    this.socket.destroy();
    this.end(true);
  }

  // The connection ended (error, close, server's FIN): a request on it fails unless its body ran to the close.
  private end(broken: boolean): void {
    if (!this.dead) {
      this.dead = true;
      this.onClosed(this);
      if (!this.socket.destroyed) this.socket.destroy();
    }
    this.settle(broken);
  }

  private settle(broken: boolean): void {
    const done = this.done;
    if (!done) return;
    this.done = undefined;
    done(this.status, this.bodyBytes, broken, !this.answered);
  }

  private finishByClose(): boolean {
    return this.done !== undefined && this.state === 'close';
  }

  private onData(b: Buffer): void {
    if (!this.done) return void this.destroy(); // bytes nobody asked for: the connection is not trustworthy
    this.answered = true;
    let at = 0;
    while (at < b.length && this.done) {
      if (this.state === 'head') at = this.readHead(b, at);
      else at = this.readBody(b, at);
    }
  }

  private readHead(b: Buffer, at: number): number {
    const buf: Buffer = this.head ? Buffer.concat([this.head, b.subarray(at)]) : b.subarray(at);
    const end = buf.indexOf(CRLF2);
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) this.destroy();
      else this.head = Buffer.from(buf);
      return b.length;
    }
    const used = (this.head ? end + 4 - this.head.length : end + 4) + at;
    this.head = undefined;
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
    if (!m) {
      this.destroy();
      return b.length;
    }
    const status = Number(m[2]);
    if (status >= 100 && status < 200) {
      if (status === 101) this.destroy(); // a protocol switch nobody asked for
      return used; // an interim response: the final one follows
    }
    this.status = status;
    this.reuseBefore = Infinity;
    let length: number | undefined;
    let chunked = false;
    let close = m[1] === '0';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.split(',').pop()!.trim() === 'chunked';
      else if (name === 'connection') close = m[1] === '0' ? !value.includes('keep-alive') : value.includes('close');
      else if (name === 'keep-alive') this.reuseBefore = reuseDeadline(value);
    }
    this.keepAlive = !close;
    if (!this.expectBody || status === 204 || status === 304) return this.complete(used);
    if (chunked) this.state = 'chunk-size';
    else if (length !== undefined && Number.isFinite(length) && length >= 0) {
      if (length === 0) return this.complete(used);
      this.state = 'length';
      this.remaining = length;
    } else {
      this.state = 'close';
      this.keepAlive = false;
    }
    this.line = '';
    return used;
  }

  private readBody(b: Buffer, at: number): number {
    switch (this.state) {
      case 'close':
        this.bodyBytes += b.length - at;
        return b.length;
      case 'length':
      case 'chunk-data': {
        const n = Math.min(this.remaining, b.length - at);
        this.bodyBytes += n;
        this.remaining -= n;
        if (this.remaining > 0) return at + n;
        if (this.state === 'length') return this.complete(at + n);
        this.state = 'chunk-end';
        this.line = '';
        return at + n;
      }
      default:
        return this.readLine(b, at);
    }
  }

  // Chunk sizes, the CRLF after each chunk's data, and trailers: line by line.
  private readLine(b: Buffer, at: number): number {
    const nl = b.indexOf(10, at);
    if (nl < 0) {
      this.line += b.toString('latin1', at);
      if (this.line.length > MAX_HEAD_BYTES) this.destroy();
      return b.length;
    }
    const line = (this.line + b.toString('latin1', at, nl)).replace(/\r$/, '');
    this.line = '';
    const next = nl + 1;
    if (this.state === 'chunk-end') {
      this.state = 'chunk-size';
      return next;
    }
    if (this.state === 'trailers') return line === '' ? this.complete(next) : next;
    const size = parseInt(line, 16);
    if (!Number.isFinite(size) || size < 0) {
      this.destroy();
      return b.length;
    }
    if (size === 0) this.state = 'trailers';
    else {
      this.state = 'chunk-data';
      this.remaining = size;
    }
    return next;
  }

  // A whole response: the request is done, and the connection goes back to the pool if it may.
  private complete(at: number): number {
    const reusable = this.keepAlive;
    this.settle(false);
    if (reusable && this.usable) this.onIdle(this);
    else this.destroy();
    return at;
  }
}

/**
 * The last instant to reuse a connection whose server announced `Keep-Alive: timeout=N` (seconds):
 * N less a second (node:http's agent keeps the same margin), or half of N when N is under 2 s.
 */
function reuseDeadline(value: string): number {
  const m = /(?:^|,)\s*timeout\s*=\s*(\d+(?:\.\d+)?)/.exec(value);
  if (!m) return Infinity;
  const ms = Number(m[1]) * 1000;
  return performance.now() + ms - Math.min(1000, ms / 2);
}
