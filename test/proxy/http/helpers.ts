import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { cohortOf, type TrafficShares } from '../../../src/cohort/sticky.js';
import { silentLogger } from '../../../src/log.js';
import { createHttpCohortHandler, type CohortSettings, type HttpCohortHandler, type RequestObservation } from '../../../src/proxy/http/handler.js';
import type { CohortName } from '../../../src/signals/types.js';

export interface Upstream {
  port: number;
  /** Connections the upstream accepted. */
  connections: number;
  /** Requests the upstream received, by path without query. */
  requests: Map<string, number>;
  /** The raw headers of the last request received. */
  lastHeaders: string[];
  /** SHA-256 of the last request body received by /echo. */
  lastBodySha: string;
  blob: Buffer;
  close(): Promise<void>;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A real upstream on 127.0.0.1: `/ok`, `/delay?ms=N`, `/status?code=N`, `/blob` (the `blob` bytes),
 * `/echo` (streams the body back), `/headers` (answers the raw request headers as JSON).
 */
export async function startUpstream(blobSize = 3 * 1024 * 1024): Promise<Upstream> {
  const blob = randomBytes(blobSize);
  const state = { connections: 0, requests: new Map<string, number>(), lastHeaders: [] as string[], lastBodySha: '' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    state.requests.set(url.pathname, (state.requests.get(url.pathname) ?? 0) + 1);
    state.lastHeaders = req.rawHeaders;
    switch (url.pathname) {
      case '/delay': {
        const timer = setTimeout(() => res.end('late'), Number(url.searchParams.get('ms') ?? 0));
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/status':
        res.statusCode = Number(url.searchParams.get('code') ?? 200);
        res.end('status');
        return;
      case '/blob':
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', blob.length);
        res.end(req.method === 'HEAD' ? undefined : blob);
        return;
      case '/echo': {
        const hash = createHash('sha256');
        req.on('data', (c: Buffer) => hash.update(c));
        req.on('end', () => {
          state.lastBodySha = hash.digest('hex');
        });
        res.setHeader('Content-Type', 'application/octet-stream');
        req.pipe(res);
        return;
      }
      case '/headers':
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('X-Multi', ['a', 'b']);
        res.setHeader('X-Secret-Hop', 'dropped');
        res.setHeader('Connection', 'keep-alive, X-Secret-Hop');
        res.end(JSON.stringify(req.rawHeaders));
        return;
      default:
        res.end('ok');
    }
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    blob,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    get lastHeaders() {
      return state.lastHeaders;
    },
    get lastBodySha() {
      return state.lastBodySha;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Front {
  port: number;
  handler: HttpCohortHandler;
  /** Client connections the front accepted. */
  connections: number;
  observations: RequestObservation[];
  close(): Promise<void>;
}

/** A real TCP listener on 127.0.0.1 that hands every accepted socket to an HTTP cohort handler. */
export async function startFront(upstreamPort: number, cohort: CohortSettings): Promise<Front> {
  const observations: RequestObservation[] = [];
  const handler = createHttpCohortHandler({
    proxyName: 'web',
    upstream: `127.0.0.1:${upstreamPort}`,
    cohort,
    logger: silentLogger(),
    observe: (o) => observations.push(o),
  });
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    handler.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    handler,
    get connections() {
      return state.connections;
    },
    observations,
    close: async () => {
      handler.closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  ms: number;
  socket: net.Socket;
}

/** One real HTTP request to 127.0.0.1:port; rejects with the client's error (ECONNRESET, socket hang up). */
export function send(
  port: number,
  opts: { path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer; agent?: http.Agent | false; timeoutMs?: number } = {},
): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/ok',
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent ?? false,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
            ms: performance.now() - started,
            socket: req.socket as net.Socket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Sends and reports the error instead of rejecting, with how long it took. */
export async function sendExpectingError(
  port: number,
  opts: Parameters<typeof send>[1] = {},
): Promise<{ error?: NodeJS.ErrnoException; reply?: Reply; ms: number }> {
  const started = performance.now();
  try {
    const reply = await send(port, opts);
    return { reply, ms: performance.now() - started };
  } catch (err) {
    return { error: err as NodeJS.ErrnoException, ms: performance.now() - started };
  }
}

/** The first `n` keys `user-0, user-1, ...` that land in `cohort`. */
export function keysIn(cohort: CohortName, salt: string, shares: TrafficShares, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n && i < 1_000_000; i++) {
    const key = `user-${i}`;
    if (cohortOf(key, salt, shares) === cohort) out.push(key);
  }
  return out;
}

export const SALT = 'exp-42';
export const SHARES = { canary: 0.2, control: 0.2 };
export const COHORT: CohortSettings = { mode: 'http', key: 'header:x-user', canary: 0.2, control: 0.2, salt: SALT };

/** One canary, one control key for the default cohort settings. */
export const CANARY_KEY = keysIn('canary', SALT, SHARES, 1)[0]!;
export const CONTROL_KEY = keysIn('control', SALT, SHARES, 1)[0]!;
export const UNTOUCHED_KEY = keysIn('untouched', SALT, SHARES, 1)[0]!;
