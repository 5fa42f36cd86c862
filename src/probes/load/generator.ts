import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { silentLogger } from '../../log.js';
import type { CohortName, IntervalByCohort, SignalSource } from '../../signals/types.js';
import type { LoadAttrs } from './attrs.js';
import { CohortTallies } from './cohort-tally.js';
import { isErrorStatus } from './error-status.js';
import { HttpPool, type Pending } from './http-pool.js';
import { LagMeter } from './lag-meter.js';
import { RequestPlan, type PlannedRequest } from './request-plan.js';

/** Running totals since start, for logs and benchmarks. */
export interface LoadTotals {
  scheduled: number;
  sent: number;
  completed: number;
  dropped: number;
  late: number;
  inFlight: number;
  /** In-flight requests cut off by stop() after its bounded wait; recorded nowhere else. */
  abandoned: number;
  /** Completions of requests sent in an earlier window, left out of the window they completed in. */
  stale: number;
  /** Idempotent requests sent once more on a new connection after the server closed their kept-alive one under them. */
  retried: number;
}

// How long stop() waits beyond the request timeout for in-flight requests to settle, and its cap.
const STOP_GRACE_MS = 250;
const STOP_MAX_WAIT_MS = 5000;

/** One request on its way: when it was due, whose it is, and which measurement window sent it. */
interface InFlight {
  scheduled: number;
  cohort: CohortName;
  window: number;
}

/**
 * An open-model, constant-arrival-rate HTTP load generator. Request k is due at start + k / rate and
 * leaves then whether or not earlier requests came back; its latency is measured from that scheduled
 * time, so a stalled server shows in the latency instead of slowing the generator down (no
 * coordinated omission). A timer loop sends, in one batch, every request whose time has come. When
 * `maxInFlight` requests are outstanding a due send is dropped and counted, never queued.
 *
 * Requests belong to the measurement window in which they were sent (`beginWindow` .. `endWindow`):
 * after `endWindow`, collections go on returning that window's completions (so it can be drained of
 * what it sent), new sends count nowhere, and the next `beginWindow` leaves whatever is still in
 * flight out for good (counted as stale). So the recovery phase never measures the fault's own slow
 * requests, and the fault's phase gets them all. Each collection also reports the requests of the
 * window still in flight, so a stalled cohort is visible before anything completes.
 */
export class LoadGenerator implements SignalSource {
  readonly name: string;
  readonly warmupMs: number;
  /** Draining a window takes at most the request timeout (every request ends by then) and a margin. */
  get drainMs(): number {
    return this.attrs.timeoutMs + 250;
  }
  private readonly plan: RequestPlan;
  private readonly tallies: CohortTallies;
  private readonly lag = new LagMeter();
  private readonly pool: HttpPool;
  private readonly defaultPort: number;
  private readonly host: string;
  private readonly port: number;
  private readonly intervalMs: number;
  private readonly rampMs: number;
  /** Sends made during the ramp: the area under it, rate × rampMs / 2. */
  private readonly rampSends: number;
  private readonly inFlightReqs = new Map<Pending, InFlight>();
  /**
   * The window collections report on, and the one new sends belong to (none between windows). A
   * generator nobody windows counts everything in window 0.
   */
  private window = 0;
  private sending: number | undefined = 0;
  private logger: Logger;
  private running = false;
  private started = false;
  private discarding = false;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private seq = 0;
  private nextAt = 0;
  private endAt = Infinity;
  private lastCollect = Date.now();
  private signal: AbortSignal | undefined;
  private onIdle: (() => void) | undefined;
  private readonly totals: LoadTotals = { scheduled: 0, sent: 0, completed: 0, dropped: 0, late: 0, inFlight: 0, abandoned: 0, stale: 0, retried: 0 };

  /**
   * `rampMs`: the rate rises linearly from 0 to `rate` over this long from the start (the warm-up),
   * then holds. Starting cold at full rate, every early send needs a new connection while the code is
   * not yet compiled: at thousands of requests/s the backlog grows faster than connections open and
   * the generator never catches up. Ramped, the pool grows as the rate does.
   */
  constructor(private readonly attrs: LoadAttrs, opts: { name?: string; logger?: Logger; seed?: number; rampMs?: number } = {}) {
    this.name = opts.name ?? 'load';
    this.warmupMs = attrs.warmupMs ?? 0;
    this.rampMs = Math.max(0, opts.rampMs ?? 0);
    this.rampSends = Math.floor((attrs.rate * this.rampMs) / 2000);

    this.logger = opts.logger ?? silentLogger();
    this.plan = new RequestPlan(attrs, opts.seed);
    this.tallies = new CohortTallies(this.plan.cohorts);
    this.intervalMs = 1000 / attrs.rate;
    const secure = attrs.url.protocol === 'https:';
    this.host = attrs.url.hostname.replace(/^\[|\]$/g, '');
    this.defaultPort = secure ? 443 : 80;
    this.port = attrs.url.port ? Number(attrs.url.port) : this.defaultPort;
    this.pool = new HttpPool({ secure });
  }

  async start(ctx: { signal: AbortSignal; logger: Logger }): Promise<void> {
    if (this.started) throw new Error(`load generator ${this.name} was already started`);
    this.started = true;
    this.logger = ctx.logger;
    this.signal = ctx.signal;
    if (ctx.signal.aborted) return;
    ctx.signal.addEventListener('abort', this.halt, { once: true });
    this.lag.start();
    this.t0 = performance.now();
    this.nextAt = this.t0;
    if (this.attrs.durationMs !== undefined) this.endAt = this.t0 + this.attrs.durationMs;
    this.lastCollect = Date.now();
    this.running = true;
    this.logger.debug({ probe: this.name, url: this.attrs.url.origin, rate: this.attrs.rate }, 'load generator started');
    this.tick();
  }

  async collect(): Promise<IntervalByCohort> {
    const end = Date.now();
    const out = this.tallies.drain(this.lastCollect, end, this.lag.take());
    this.lastCollect = end;
    const now = performance.now();
    for (const interval of Object.values(out)) {
      interval.outstanding = 0;
      interval.overdue = 0;
    }
    for (const f of this.inFlightReqs.values()) {
      if (f.window !== this.window) continue;
      const interval = out[f.cohort];
      if (!interval) continue;
      interval.outstanding! += 1;
      if (now - f.scheduled > this.attrs.timeoutMs) interval.overdue! += 1;
    }
    return out;
  }

  /** Starts a measurement window: what was sent before it no longer counts when it completes. */
  beginWindow(): void {
    this.window += 1;
    this.sending = this.window;
  }

  /** Ends the current window: new sends count nowhere; its own requests keep completing into it. */
  endWindow(): void {
    this.sending = undefined;
  }

  /** Stops sending, waits (at most the request timeout, capped at 5 s) for in-flight requests, then cuts the rest off. */
  async stop(): Promise<void> {
    this.halt();
    if (this.inFlightReqs.size > 0 && !this.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(bound);
          this.signal?.removeEventListener('abort', done);
          this.onIdle = undefined;
          resolve();
        };
        const bound = setTimeout(done, Math.min(this.attrs.timeoutMs + STOP_GRACE_MS, STOP_MAX_WAIT_MS));
        this.signal?.addEventListener('abort', done, { once: true });
        this.onIdle = done;
      });
    }
    if (this.inFlightReqs.size > 0) {
      this.discarding = true;
      this.totals.abandoned += this.inFlightReqs.size;
      for (const req of [...this.inFlightReqs.keys()]) req.abort();
      this.inFlightReqs.clear();
    }
    this.pool.destroy();
    this.lag.stop();
    this.signal?.removeEventListener('abort', this.halt);
    this.logger.debug({ probe: this.name, ...this.stats() }, 'load generator stopped');
  }

  stats(): LoadTotals {
    return { ...this.totals, inFlight: this.inFlightReqs.size, retried: this.pool.retries };
  }

  private readonly halt = (): void => {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  };

  // Sends every request whose scheduled time has passed, then sleeps until the next one is due.
  private readonly tick = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    let now = performance.now();
    while (this.nextAt <= now) {
      if (this.nextAt >= this.endAt) {
        this.halt();
        return;
      }
      const scheduled = this.nextAt;
      this.seq += 1;
      this.nextAt = this.t0 + this.offsetOf(this.seq);
      this.fire(scheduled, now);
      now = performance.now();
    }
    this.timer = setTimeout(this.tick, Math.max(0, this.nextAt - now));
  };

  /**
   * When send k is due (ms after t0), computed from t0 rather than accumulated so rounding never drifts
   * the rate: on the ramp, k sends have been made by t when rate × t² / (2 × rampMs) = k; after it,
   * one every 1/rate.
   */
  private offsetOf(k: number): number {
    if (k < this.rampSends) return Math.sqrt((2000 * this.rampMs * k) / this.attrs.rate);
    return this.rampMs + (k - this.rampSends) * this.intervalMs;
  }

  private fire(scheduled: number, now: number): void {
    this.totals.scheduled += 1;
    const planned = this.plan.next();
    // Between windows a send is made (the load stays steady) but counted nowhere.
    const counted = this.sending === this.window;
    const tally = this.tallies.of(planned.cohort);
    if (counted) tally.scheduledSends += 1;
    if (this.inFlightReqs.size >= this.attrs.maxInFlight) {
      if (counted) tally.droppedSends += 1;
      this.totals.dropped += 1;
      return;
    }
    const lateMs = now - scheduled;
    this.lag.noteSend(lateMs);
    if (lateMs > this.attrs.maxLagMs) {
      if (counted) tally.lateSends += 1;
      this.totals.late += 1;
    }
    this.send(planned, scheduled);
  }

  private send(planned: PlannedRequest, scheduled: number): void {
    let pending: Pending | undefined;
    let timer: NodeJS.Timeout | undefined;
    const window = this.sending ?? -1;
    const finish = (failed: boolean, bytes: number): void => {
      clearTimeout(timer);
      if (pending) this.inFlightReqs.delete(pending);
      if (this.discarding) return;
      const latency = performance.now() - scheduled;
      // The tally current at completion: a request belongs to the interval in which it finished,
      // unless it was sent in an earlier window, which has been judged already.
      const t = this.tallies.of(planned.cohort);
      if (window !== this.window) {
        t.staleCompletions += 1;
        this.totals.stale += 1;
        if (this.inFlightReqs.size === 0) this.onIdle?.();
        return;
      }
      t.requests += 1;
      t.bytes += bytes;
      if (failed) {
        t.errors += 1;
        t.failed.record(latency);
      } else {
        t.ok.record(latency);
      }
      this.totals.completed += 1;
      if (this.inFlightReqs.size === 0) this.onIdle?.();
    };
    const endpoint = planned.endpoint ?? { host: this.host, port: this.port };
    let request: Buffer;
    try {
      request = serializeRequest(planned, endpoint, this.defaultPort);
    } catch (err) {
      // A header value HTTP cannot carry (a line break, a control character): a failed request, not a stopped generator.
      this.logger.warn({ probe: this.name, err }, 'load generator could not build a request');
      finish(true, 0);
      return;
    }
    const to = { host: endpoint.host, port: endpoint.port, ...(planned.localAddress ? { localAddress: planned.localAddress } : {}) };
    pending = this.pool.send(to, request, planned.method !== 'HEAD', (status, bytes, broken) => finish(broken || isErrorStatus(status, this.attrs.errorStatus), bytes));
    const sent = pending;
    timer = setTimeout(() => sent.abort(), this.attrs.timeoutMs);
    this.inFlightReqs.set(sent, { scheduled, cohort: planned.cohort, window });
    this.totals.sent += 1;
  }
}

// What node:http refuses too: a path with a space or a control character, a header value with a
// control character other than a tab (a line break would split it in two) or a character above U+00FF.
const UNSAFE_PATH = /[^\u0021-\u00ff]/;
const UNSAFE_VALUE = /[^\t\u0020-\u007e\u0080-\u00ff]/;
// Methods that may carry a body: without one they say so (Content-Length: 0), as node:http does.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The request as one buffer: request line, Host (unless given), the planned headers, Content-Length: 0
 * for a POST, PUT or PATCH without a body, Connection: keep-alive (unless given), body.
 */
export function serializeRequest(planned: PlannedRequest, endpoint: { host: string; port: number }, defaultPort: number): Buffer {
  if (UNSAFE_PATH.test(planned.path)) throw new TypeError(`request path ${JSON.stringify(planned.path)} contains a space or a control character`);
  let head = '';
  let host = true;
  let length = false;
  let connection = false;
  for (const [name, value] of Object.entries(planned.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'host') host = false;
    else if (lower === 'content-length') length = true;
    else if (lower === 'connection') connection = true;
    for (const v of Array.isArray(value) ? value : [value]) {
      const text = String(v);
      if (UNSAFE_VALUE.test(name) || UNSAFE_VALUE.test(text)) throw new TypeError(`header ${JSON.stringify(name)} has a value with a control character or a character above U+00FF`);
      head += `${name}: ${text}\r\n`;
    }
  }
  if (host) {
    const h = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    head = `Host: ${endpoint.port === defaultPort ? h : `${h}:${endpoint.port}`}\r\n${head}`;
  }
  if (!length && !planned.body && BODY_METHODS.has(planned.method)) head += 'Content-Length: 0\r\n';
  if (!connection) head += 'Connection: keep-alive\r\n';
  const bytes = Buffer.from(`${planned.method} ${planned.path} HTTP/1.1\r\n${head}\r\n`, 'latin1');
  return planned.body ? Buffer.concat([bytes, planned.body]) : bytes;
}
