import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { cohortOf, parseStickyKey, stickyKeyOf, type StickyKeySource } from '../../cohort/sticky.js';
import type { Logger } from '../../log.js';
import type { CohortName } from '../../signals/types.js';
import { Exchange, type ExchangeEnv } from './exchange.js';
import { CohortSignals } from './signals.js';
import { planRequest } from './toxics/index.js';
import type { CohortSettings, HttpCohortHandler, RequestObservation, ToxicView } from './types.js';
import { createUpstreamAgent, parseUpstream, type UpstreamAddress } from './upstream.js';

export type { CohortSettings, HttpCohortHandler, RequestObservation, ToxicCohort, ToxicView } from './types.js';
export { parseCohortSettings } from './settings.js';
export { HTTP_TOXIC_TYPES, HTTP_MAPPED_STANDARD_TYPES, validateHttpToxic } from './toxics/index.js';
export type { HttpSignalsJson, CohortSignalsJson, EncodedLatency } from './signals.js';

// Idle keep-alive client connections are closed after this long.
const CLIENT_KEEP_ALIVE_MS = 30_000;

export interface HttpCohortHandlerOptions {
  proxyName: string;
  upstream: string;
  cohort: CohortSettings;
  logger: Logger;
  observe?: (o: RequestObservation) => void;
}

/**
 * The HTTP side of a proxy in cohort mode: parses requests with node:http, sorts each into a cohort by
 * its sticky key, applies the toxics that cover that cohort, forwards through a keep-alive pool, and
 * keeps golden signals per cohort. Upgrade and CONNECT are refused with 501.
 */
export function createHttpCohortHandler(opts: HttpCohortHandlerOptions): HttpCohortHandler {
  return new CohortHandler(opts);
}

class CohortHandler implements HttpCohortHandler {
  private readonly proxyName: string;
  private readonly logger: Logger;
  private readonly observe: ((o: RequestObservation) => void) | undefined;
  private readonly server: http.Server;
  private readonly signals = new CohortSignals();
  private readonly clients = new Set<Socket>();
  /** Requests being handled, with their cohort and when they arrived. */
  private readonly exchanges = new Map<Exchange, { cohort: CohortName; arrivedAt: number }>();
  private readonly holds = new Map<string, Set<() => void>>();
  /** Requests in flight per upstream pool; a pool replaced by updateUpstream closes when its count drops to 0. */
  private readonly agentUse = new Map<http.Agent, number>();
  private toxics: readonly ToxicView[] = [];
  private settings!: CohortSettings;
  private keySource!: StickyKeySource;
  private upstream: UpstreamAddress;
  private agent = createUpstreamAgent();

  constructor(opts: HttpCohortHandlerOptions) {
    this.proxyName = opts.proxyName;
    this.logger = opts.logger.child({ proxy: opts.proxyName, mode: 'http' });
    this.observe = opts.observe;
    this.upstream = parseUpstream(opts.upstream);
    this.updateCohort(opts.cohort);
    this.server = http.createServer({ noDelay: true, requestTimeout: 0 });
    this.server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => guard(this.logger, () => this.onRequest(req, res), () => failRequest(res)));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => guard(this.logger, () => this.refuse(req, socket), () => socket.destroy()));
    this.server.on('connect', (req: http.IncomingMessage, socket: Duplex) => guard(this.logger, () => this.refuse(req, socket), () => socket.destroy()));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(err, socket));
  }

  handle(socket: Socket): void {
    this.clients.add(socket);
    socket.once('close', () => this.clients.delete(socket));
    this.server.emit('connection', socket);
  }

  updateToxics(toxics: ToxicView[]): void {
    const names = new Set(toxics.map((t) => t.name));
    const removed = this.toxics.filter((t) => !names.has(t.name)).map((t) => t.name);
    this.toxics = [...toxics];
    // Requests a removed toxic hit go on without it at once (the others that hit them still apply).
    if (removed.length) {
      for (const [exchange, { cohort }] of this.exchanges) {
        if (!exchange.hitBy.some((n) => removed.includes(n))) continue;
        exchange.replan(planRequest(toxics.filter((t) => exchange.hitBy.includes(t.name)), cohort, Math.random, { alreadyHit: true }));
      }
    }
    for (const [name, releases] of this.holds) {
      if (names.has(name)) continue;
      this.holds.delete(name);
      for (const release of [...releases]) release();
    }
  }

  updateCohort(settings: CohortSettings): void {
    const source = parseStickyKey(settings.key);
    if (!source) throw new TypeError(`invalid sticky key "${settings.key}"`);
    this.settings = { ...settings };
    this.keySource = source;
  }

  updateUpstream(upstream: string): void {
    const next = parseUpstream(upstream);
    if (next.host === this.upstream.host && next.port === this.upstream.port) return;
    this.upstream = next;
    const old = this.agent;
    this.agent = createUpstreamAgent();
    if (!this.agentUse.get(old)) old.destroy();
  }

  signalsJson(): unknown {
    return this.signals.toJson(this.proxyName, this.exchanges.values());
  }

  closeAll(): void {
    for (const exchange of this.exchanges.keys()) exchange.cancel();
    for (const releases of this.holds.values()) for (const release of [...releases]) release();
    this.holds.clear();
    for (const socket of this.clients) socket.destroy();
    this.clients.clear();
    for (const agent of this.agentUse.keys()) agent.destroy();
    this.agentUse.clear();
    this.agent.destroy();
    this.agent = createUpstreamAgent();
  }

  private cohortOf(req: http.IncomingMessage): CohortName {
    const key = stickyKeyOf(this.keySource, req.headers, clientAddress(req.socket));
    if (key === undefined) return 'untouched';
    return cohortOf(key, this.settings.salt, { canary: this.settings.canary, control: this.settings.control });
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const start = performance.now();
    res.sendDate = false;
    // A write racing a closed client socket is not a failure of the proxy; 'close' accounts for it.
    res.on('error', (err) => this.logger.debug({ err }, 'client response error'));
    const cohort = this.cohortOf(req);
    const plan = planRequest(this.toxics, cohort);
    if (plan.applied.length > 0) this.logger.debug({ cohort, toxics: plan.applied, method: req.method, url: req.url }, 'toxics hit request');
    const agent = this.agent;
    this.agentUse.set(agent, (this.agentUse.get(agent) ?? 0) + 1);
    const env: ExchangeEnv = { upstream: this.upstream, agent, logger: this.logger, hold: (toxic, release) => this.hold(toxic, release) };
    const exchange = new Exchange(req, res, plan, env);
    this.exchanges.set(exchange, { cohort, arrivedAt: start });
    this.signals.arrive(cohort);
    res.once('close', () => {
      this.exchanges.delete(exchange);
      exchange.cancel();
      this.releaseAgent(agent);
      const ok = res.writableFinished && res.statusCode < 500;
      this.record({ cohort, latencyMs: performance.now() - start, ok, bytesIn: exchange.bytesIn, bytesOut: exchange.bytesOut });
    });
    exchange.run().catch((err: unknown) => {
      this.logger.error({ err }, 'request handling failed');
      res.destroy();
    });
  }

  private record(o: RequestObservation): void {
    this.signals.record(o);
    try {
      this.observe?.(o);
    } catch (err) {
      this.logger.warn({ err }, 'request observer threw');
    }
  }

  private hold(toxic: string, release: () => void): () => void {
    let set = this.holds.get(toxic);
    if (!set) this.holds.set(toxic, (set = new Set()));
    set.add(release);
    return () => {
      this.holds.get(toxic)?.delete(release);
    };
  }

  private releaseAgent(agent: http.Agent): void {
    const left = (this.agentUse.get(agent) ?? 1) - 1;
    if (left > 0) {
      this.agentUse.set(agent, left);
      return;
    }
    this.agentUse.delete(agent);
    if (agent !== this.agent) agent.destroy();
  }

  // Upgrade (WebSocket, h2c) and CONNECT would turn the connection into an opaque tunnel that cohorts
  // and toxics cannot see: refused with 501 and counted as a failed request.
  private refuse(req: http.IncomingMessage, socket: Duplex): void {
    const start = performance.now();
    this.signals.arrive(this.cohortOf(req));
    const body = 'upgrade and CONNECT are not supported in http cohort mode\n';
    socket.end(
      `HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    this.record({ cohort: this.cohortOf(req), latencyMs: performance.now() - start, ok: false, bytesIn: 0, bytesOut: 0 });
  }
}

// IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d; the key is the plain IPv4 address.
function clientAddress(socket: Socket): string | undefined {
  const addr = socket.remoteAddress;
  return addr?.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (socket.writable && typeof err.code === 'string' && err.code.startsWith('HPE_')) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  socket.destroy();
}

/** Runs a request listener; one that throws fails its own request, never the process. */
function guard(logger: Logger, work: () => void, fail: () => void): void {
  try {
    work();
  } catch (err) {
    logger.error({ err }, 'request handling failed');
    try {
      fail();
    } catch {
      // the socket is gone already
    }
  }
}

function failRequest(res: http.ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
  res.end('firebreak proxy: request handling failed\n');
}
