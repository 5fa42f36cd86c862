import http from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '../../log.js';
import { isAbortError, sleep } from '../../util/abort.js';
import { endToEndHeaders, upstreamRequestHeaders } from './headers.js';
import { Throttle } from './throttle.js';
import type { RequestPlan } from './toxics/index.js';
import type { UpstreamAddress } from './upstream.js';

// An upstream that accepts a request and then says nothing for this long is answered with 504.
export const UPSTREAM_IDLE_TIMEOUT_MS = 120_000;

/** What one exchange needs from its handler. */
export interface ExchangeEnv {
  upstream: UpstreamAddress;
  agent: http.Agent;
  logger: Logger;
  /** Registers a held request under its toxic's name; `release` runs when the toxic is removed. Returns an unregister. */
  hold(toxic: string, release: () => void): () => void;
}

class UpstreamTimeoutError extends Error {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor() {
    super(`upstream sent nothing for ${UPSTREAM_IDLE_TIMEOUT_MS} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

/**
 * One request through the proxy: the toxics' plan applied in a fixed order (request delay, upstream-side
 * reset or hold, abort, forward, downstream-side reset or hold, response delay, throttled response).
 * Bodies stream; nothing is buffered beyond the streams' own high-water marks.
 *
 * When a toxic that hit the request is removed, `replan` gives the plan of the toxics that remain and
 * the request goes on under it at once: a delay still running ends, a pending reset is called off, a
 * throttle lifts (a held request is closed, as the `timeout` toxic documents). So a reverted fault
 * stops acting on requests already admitted, as Toxiproxy's TCP mode releases its connections.
 */
export class Exchange {
  bytesIn = 0;
  bytesOut = 0;
  private readonly controller = new AbortController();
  private readonly startedAt = performance.now();
  /** Aborted (and replaced) at every replan, waking the current wait to re-read the plan. */
  private replanned = new AbortController();
  private upReq: http.ClientRequest | undefined;
  private upRes: http.IncomingMessage | undefined;
  private requestThrottle: Throttle | undefined;
  private responseThrottle: Throttle | undefined;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private plan: RequestPlan,
    private readonly env: ExchangeEnv,
  ) {}

  /** Names of the toxics that hit this request. */
  get hitBy(): readonly string[] {
    return this.plan.applied;
  }

  /** Goes on under a new plan (a toxic that hit the request was removed). */
  replan(next: RequestPlan): void {
    this.plan = next;
    this.requestThrottle?.setRate(next.requestRate);
    this.responseThrottle?.setRate(next.responseRate);
    const woken = this.replanned;
    this.replanned = new AbortController();
    woken.abort();
  }

  async run(): Promise<void> {
    try {
      await this.waitUntil(() => this.startedAt + this.plan.requestDelayMs);
      if (this.plan.reset?.stream === 'upstream' && (await this.resetAfter('upstream'))) return;
      if (this.plan.hold?.stream === 'upstream') return await this.holdThenClose(this.plan.hold);
      if (this.plan.abort) return await this.answerAbort(this.plan.abort);
      await this.forward();
    } catch (err) {
      if (isAbortError(err)) return;
      throw err;
    }
  }

  /** Stops every timer and any unfinished upstream exchange (client gone, or the handler closing). */
  cancel(): void {
    this.controller.abort();
    this.requestThrottle?.destroy();
    this.responseThrottle?.destroy();
    // A complete upstream response has already returned its socket to the pool: leave it alone.
    if (this.upReq && !this.upRes?.complete) this.upReq.destroy();
  }

  /** Sleeps until `deadline()` (re-read after every replan); throws an AbortError if the exchange is cancelled. */
  private async waitUntil(deadline: () => number): Promise<void> {
    for (;;) {
      const left = deadline() - performance.now();
      if (left <= 0) return;
      try {
        await sleep(left, AbortSignal.any([this.controller.signal, this.replanned.signal]));
      } catch (err) {
        if (this.controller.signal.aborted || !isAbortError(err)) throw err;
      }
    }
  }

  /** Resets the client connection once the reset's delay has passed; false if the reset was called off meanwhile. */
  private async resetAfter(stream: 'upstream' | 'downstream'): Promise<boolean> {
    const at = performance.now();
    await this.waitUntil(() => (this.plan.reset?.stream === stream ? at + this.plan.reset.afterMs : -Infinity));
    if (this.plan.reset?.stream !== stream) return false;
    const socket = this.req.socket;
    if (!socket.destroyed) socket.resetAndDestroy();
    return true;
  }

  private async holdThenClose(hold: NonNullable<RequestPlan['hold']>): Promise<void> {
    const signal = this.controller.signal;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let unregister = (): void => undefined;
      const done = (): void => {
        clearTimeout(timer);
        unregister();
        signal.removeEventListener('abort', done);
        resolve();
      };
      unregister = this.env.hold(hold.toxic, done);
      if (hold.timeoutMs > 0) timer = setTimeout(done, hold.timeoutMs);
      signal.addEventListener('abort', done, { once: true });
    });
    this.req.socket.destroy();
  }

  private async answerAbort(abort: NonNullable<RequestPlan['abort']>): Promise<void> {
    const at = performance.now();
    await this.waitUntil(() => at + this.plan.responseDelayMs);
    const body = Buffer.from(abort.body ?? '');
    this.res.sendDate = true;
    this.res.writeHead(abort.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    this.sendBody(bodyStream(body));
  }

  private async forward(): Promise<void> {
    let upRes: http.IncomingMessage;
    try {
      upRes = await this.send();
    } catch (err) {
      if (isAbortError(err) || this.controller.signal.aborted) return;
      this.answerGatewayError(err);
      return;
    }
    this.upRes = upRes;
    // The response waits unread (the socket's own backpressure) while a reset is pending: if the reset
    // is called off, it is forwarded after all.
    if (this.plan.reset?.stream === 'downstream' && (await this.resetAfter('downstream'))) return void upRes.resume();
    if (this.plan.hold?.stream === 'downstream') {
      upRes.resume();
      return await this.holdThenClose(this.plan.hold);
    }
    // An upstream that breaks off its response: a 502 if nothing was sent yet, else a closed connection.
    let broken = false;
    const onBroken = (): void => {
      if (upRes.complete) return;
      broken = true;
      if (this.res.headersSent) this.res.destroy();
    };
    upRes.on('error', onBroken);
    upRes.on('close', onBroken);
    const headAt = performance.now();
    await this.waitUntil(() => headAt + this.plan.responseDelayMs);
    if (broken) return this.answerGatewayError(new Error('upstream closed the connection mid-response'));
    this.res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEndHeaders(upRes.rawHeaders));
    this.sendBody(upRes);
  }

  // Sends the request upstream. An idempotent request without a body that met a keep-alive socket the
  // upstream had just closed is sent once more on a fresh socket, as nothing of it was consumed.
  private async send(): Promise<http.IncomingMessage> {
    try {
      return await this.sendOnce();
    } catch (err) {
      const retryable =
        this.upReq?.reusedSocket && IDEMPOTENT.has(this.req.method ?? '') && !hasBody(this.req) && isConnectionDrop(err) && !this.controller.signal.aborted;
      if (!retryable) throw err;
      this.env.logger.debug({ err }, 'upstream keep-alive socket was closed, sending again');
      return await this.sendOnce();
    }
  }

  private sendOnce(): Promise<http.IncomingMessage> {
    const { req } = this;
    const chunked = req.headers['transfer-encoding'] !== undefined;
    return new Promise((resolve, reject) => {
      const upReq = http.request({
        host: this.env.upstream.host,
        port: this.env.upstream.port,
        method: req.method,
        path: req.url,
        headers: upstreamRequestHeaders(req.rawHeaders, chunked),
        agent: this.env.agent,
        timeout: UPSTREAM_IDLE_TIMEOUT_MS,
      });
      this.upReq = upReq;
      upReq.once('response', resolve);
      // Kept for the request's life: a later socket error must not go unheard.
      upReq.on('error', reject);
      upReq.once('timeout', () => upReq.destroy(new UpstreamTimeoutError()));
      if (!hasBody(req)) {
        upReq.end();
        return;
      }
      let body: Readable = req;
      if (this.plan.requestRate !== undefined) body = req.pipe((this.requestThrottle = this.throttle(this.plan.requestRate)));
      body.pipe(upReq);
      body.on('data', (chunk: Buffer) => {
        this.bytesIn += chunk.length;
      });
    });
  }

  private answerGatewayError(err: unknown): void {
    const timedOut = err instanceof UpstreamTimeoutError;
    this.env.logger.warn({ err, upstream: `${this.env.upstream.host}:${this.env.upstream.port}` }, 'upstream request failed');
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    const status = timedOut ? 504 : 502;
    const body = Buffer.from(timedOut ? 'upstream timed out\n' : 'upstream unavailable\n');
    this.res.sendDate = true;
    this.res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    this.bytesOut += body.length;
    this.res.end(body);
  }

  private sendBody(source: Readable): void {
    let body = source;
    if (this.plan.responseRate !== undefined) body = source.pipe((this.responseThrottle = this.throttle(this.plan.responseRate)));
    body.pipe(this.res);
    body.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length;
    });
  }

  private throttle(bytesPerMs: number): Throttle {
    const t = new Throttle(bytesPerMs);
    t.on('error', () => this.res.destroy());
    return t;
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

function isConnectionDrop(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function bodyStream(body: Buffer): Readable {
  return Readable.from(body.length > 0 ? [body] : []);
}
