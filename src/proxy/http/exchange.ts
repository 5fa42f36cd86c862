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
 */
export class Exchange {
  bytesIn = 0;
  bytesOut = 0;
  private readonly controller = new AbortController();
  private upReq: http.ClientRequest | undefined;
  private upRes: http.IncomingMessage | undefined;
  private readonly throttles: Throttle[] = [];

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly plan: RequestPlan,
    private readonly env: ExchangeEnv,
  ) {}

  async run(): Promise<void> {
    const { plan } = this;
    try {
      if (plan.requestDelayMs > 0) await sleep(plan.requestDelayMs, this.controller.signal);
      if (plan.reset?.stream === 'upstream') return await this.resetAfter(plan.reset.afterMs);
      if (plan.hold?.stream === 'upstream') return await this.holdThenClose(plan.hold);
      if (plan.abort) return await this.answerAbort(plan.abort);
      await this.forward();
    } catch (err) {
      if (isAbortError(err)) return;
      throw err;
    }
  }

  /** Stops every timer and any unfinished upstream exchange (client gone, or the handler closing). */
  cancel(): void {
    this.controller.abort();
    for (const t of this.throttles) t.destroy();
    // A complete upstream response has already returned its socket to the pool: leave it alone.
    if (this.upReq && !this.upRes?.complete) this.upReq.destroy();
  }

  private async resetAfter(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, this.controller.signal);
    const socket = this.req.socket;
    if (!socket.destroyed) socket.resetAndDestroy();
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
    if (this.plan.responseDelayMs > 0) await sleep(this.plan.responseDelayMs, this.controller.signal);
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
    const { plan } = this;
    if (plan.reset?.stream === 'downstream' || plan.hold?.stream === 'downstream') {
      upRes.resume();
      if (plan.reset?.stream === 'downstream') return await this.resetAfter(plan.reset.afterMs);
      return await this.holdThenClose(plan.hold!);
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
    if (plan.responseDelayMs > 0) await sleep(plan.responseDelayMs, this.controller.signal);
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
      if (this.plan.requestRate !== undefined) body = req.pipe(this.throttle(this.plan.requestRate));
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
    if (this.plan.responseRate !== undefined) body = source.pipe(this.throttle(this.plan.responseRate));
    body.pipe(this.res);
    body.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length;
    });
  }

  private throttle(bytesPerMs: number): Throttle {
    const t = new Throttle(bytesPerMs);
    t.on('error', () => this.res.destroy());
    this.throttles.push(t);
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
