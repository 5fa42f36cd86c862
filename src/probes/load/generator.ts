import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { silentLogger } from '../../log.js';
import type { IntervalByCohort, SignalSource } from '../../signals/types.js';
import type { LoadAttrs } from './attrs.js';
import { CohortTallies } from './cohort-tally.js';
import { isErrorStatus } from './error-status.js';
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
}

// How long stop() waits beyond the request timeout for in-flight requests to settle, and its cap.
const STOP_GRACE_MS = 250;
const STOP_MAX_WAIT_MS = 5000;

/**
 * An open-model, constant-arrival-rate HTTP load generator. Request k is due at start + k / rate and
 * leaves then whether or not earlier requests came back; its latency is measured from that scheduled
 * time, so a stalled server shows in the latency instead of slowing the generator down (no
 * coordinated omission). A timer loop sends, in one batch, every request whose time has come. When
 * `maxInFlight` requests are outstanding a due send is dropped and counted, never queued.
 */
export class LoadGenerator implements SignalSource {
  readonly name: string;
  private readonly plan: RequestPlan;
  private readonly tallies: CohortTallies;
  private readonly lag = new LagMeter();
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly host: string;
  private readonly port: number;
  private readonly intervalMs: number;
  private readonly inFlightReqs = new Set<http.ClientRequest>();
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
  private readonly totals: LoadTotals = { scheduled: 0, sent: 0, completed: 0, dropped: 0, late: 0, inFlight: 0, abandoned: 0 };

  constructor(private readonly attrs: LoadAttrs, opts: { name?: string; logger?: Logger; seed?: number } = {}) {
    this.name = opts.name ?? 'load';
    this.logger = opts.logger ?? silentLogger();
    this.plan = new RequestPlan(attrs, opts.seed);
    this.tallies = new CohortTallies(this.plan.cohorts);
    this.intervalMs = 1000 / attrs.rate;
    const secure = attrs.url.protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: attrs.maxInFlight, maxFreeSockets: attrs.maxInFlight, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.host = attrs.url.hostname.replace(/^\[|\]$/g, '');
    this.port = attrs.url.port ? Number(attrs.url.port) : secure ? 443 : 80;
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
    return out;
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
      for (const req of this.inFlightReqs) req.destroy();
      this.inFlightReqs.clear();
    }
    this.agent.destroy();
    this.lag.stop();
    this.signal?.removeEventListener('abort', this.halt);
    this.logger.debug({ probe: this.name, ...this.stats() }, 'load generator stopped');
  }

  stats(): LoadTotals {
    return { ...this.totals, inFlight: this.inFlightReqs.size };
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
      // Computed from t0 rather than accumulated, so rounding never drifts the rate.
      this.nextAt = this.t0 + this.seq * this.intervalMs;
      this.fire(scheduled, now);
      now = performance.now();
    }
    this.timer = setTimeout(this.tick, Math.max(0, this.nextAt - now));
  };

  private fire(scheduled: number, now: number): void {
    this.totals.scheduled += 1;
    const planned = this.plan.next();
    const tally = this.tallies.of(planned.cohort);
    if (this.inFlightReqs.size >= this.attrs.maxInFlight) {
      tally.droppedSends += 1;
      this.totals.dropped += 1;
      return;
    }
    const lateMs = now - scheduled;
    this.lag.noteSend(lateMs);
    if (lateMs > this.attrs.maxLagMs) {
      tally.lateSends += 1;
      this.totals.late += 1;
    }
    this.send(planned, scheduled);
  }

  private send(planned: PlannedRequest, scheduled: number): void {
    let settled = false;
    let bytes = 0;
    let timer: NodeJS.Timeout | undefined;
    let req: http.ClientRequest | undefined;
    const finish = (failed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (req) this.inFlightReqs.delete(req);
      if (this.discarding) return;
      const latency = performance.now() - scheduled;
      // The tally current at completion: a request belongs to the interval in which it finished.
      const t = this.tallies.of(planned.cohort);
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
    const onResponse = (res: http.IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => finish(isErrorStatus(status, this.attrs.errorStatus)));
      res.on('close', () => finish(!res.complete || isErrorStatus(status, this.attrs.errorStatus)));
      res.on('error', () => finish(true));
    };
    try {
      req = this.transport.request(
        {
          agent: this.agent,
          host: planned.endpoint?.host ?? this.host,
          port: planned.endpoint?.port ?? this.port,
          method: planned.method,
          path: planned.path,
          headers: planned.headers,
          ...(planned.localAddress ? { localAddress: planned.localAddress } : {}),
        },
        onResponse,
      );
    } catch (err) {
      // A header value the HTTP layer refuses: a failed request, not a stopped generator.
      this.logger.warn({ probe: this.name, err }, 'load generator could not build a request');
      finish(true);
      return;
    }
    const sent = req;
    sent.on('error', () => finish(true));
    timer = setTimeout(() => sent.destroy(new Error(`request timed out after ${this.attrs.timeoutMs} ms`)), this.attrs.timeoutMs);
    this.inFlightReqs.add(sent);
    this.totals.sent += 1;
    sent.end(planned.body);
  }
}
