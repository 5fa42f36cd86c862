import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { bindHost, formatHostPort, listenErrorText, parseHostPort } from './address.js';
import { ApiError } from './api/errors.js';
import type { CohortModule, CohortSettings, HttpCohortHandler, RequestObservation, ToxicView } from './cohort.js';
import { Connection } from './connection.js';
import type { Stream } from './toxics/types.js';
import { emptyStats, type ProxyStats, type ToxicRecord } from './types.js';

// Toxiproxy dials upstream without a limit; a dial that hangs this long fails the client connection.
const DIAL_TIMEOUT_MS = 10_000;

export interface ProxyDeps {
  logger: Logger;
  /** Feeds the server's metrics with each request a cohort handler finished. */
  observe(proxy: string, o: RequestObservation): void;
}

/** A proxy's settings as the API applies them. */
export interface ProxySettings {
  listen: string;
  upstream: string;
  enabled: boolean;
  /** Cohort mode: the settings and the handler module to serve them. */
  cohort?: { settings: CohortSettings; module: CohortModule } | undefined;
}

/** The proxy as the API shows it; `cohort` only when set. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicRecord[];
  cohort?: CohortSettings;
}

/**
 * One named proxy: a listener on `listen` that joins each client to `upstream` through the proxy's toxics
 * (TCP mode), or hands clients to the HTTP cohort handler (cohort mode). Disabled, it listens on nothing.
 */
export class Proxy {
  listen: string;
  upstream: string;
  enabled = false;
  readonly stats: ProxyStats = emptyStats();
  private cohortMode: ProxySettings['cohort'];
  private toxicList: ToxicRecord[] = [];
  private listener: Server | undefined;
  private handler: HttpCohortHandler | undefined;
  private readonly connections = new Set<Connection>();
  private readonly dialing = new Set<Socket>();
  private readonly logger: Logger;

  constructor(
    readonly name: string,
    settings: Omit<ProxySettings, 'enabled'>,
    private readonly deps: ProxyDeps,
  ) {
    this.listen = settings.listen;
    this.upstream = settings.upstream;
    this.cohortMode = settings.cohort;
    this.logger = deps.logger.child({ proxy: name });
  }

  get cohort(): CohortSettings | undefined {
    return this.cohortMode?.settings;
  }

  /** The cohort settings with the handler module serving them (undefined in TCP mode). */
  get cohortSetup(): ProxySettings['cohort'] {
    return this.cohortMode;
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics(),
      ...(this.cohortMode ? { cohort: this.cohortMode.settings } : {}),
    };
  }

  /** Toxics in Toxiproxy's order: the upstream chain, then the downstream chain. */
  toxics(): ToxicRecord[] {
    return [...this.toxicList.filter((t) => t.stream === 'upstream'), ...this.toxicList.filter((t) => t.stream === 'downstream')];
  }

  toxic(name: string): ToxicRecord | undefined {
    return this.toxicList.find((t) => t.name === name);
  }

  /** Starts listening; `listen` becomes the bound address (port 0 resolved). Throws ApiError 500 on failure. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const hp = parseHostPort(this.listen);
    if (!hp) throw new ApiError(`listen tcp: address ${this.listen}: missing port in address`, 500);
    const tcp = !this.cohortMode;
    // The handler first: one that cannot be made must fail before anything listens, never after.
    if (this.cohortMode && !this.handler) {
      try {
        this.handler = this.createHandler(this.cohortMode);
      } catch (err) {
        throw new ApiError(`cannot start proxy ${this.name}: ${(err as Error).message}`, 500);
      }
    }
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: tcp });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new ApiError(listenErrorText(this.listen, err), 500)));
      server.listen({ host: bindHost(hp.host), port: hp.port }, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', (err) => this.logger.warn({ err }, 'listener error'));
    server.on('connection', (socket) => {
      // One client must never take the listener (and the process) down with it.
      try {
        this.accept(socket);
      } catch (err) {
        this.logger.error({ err }, 'accepting a connection failed; closing it');
        socket.destroy();
      }
    });
    const addr = server.address() as AddressInfo;
    this.listen = formatHostPort(addr.address, addr.port);
    this.listener = server;
    this.enabled = true;
    this.logger.info({ listen: this.listen, upstream: this.upstream, mode: tcp ? 'tcp' : 'http' }, 'started proxy');
  }

  /** Closes the listener and every connection (gracefully: bytes already read are delivered, then FIN). */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const listener = this.listener;
    this.listener = undefined;
    await new Promise<void>((resolve) => {
      listener?.close();
      setImmediate(resolve);
    });
    for (const s of this.dialing) s.destroy();
    this.dialing.clear();
    for (const c of this.connections) void c.close();
    this.handler?.closeAll();
    this.logger.info({ listen: this.listen }, 'stopped proxy');
  }

  /** Stops and waits until every connection is closed. */
  async shutdown(): Promise<void> {
    const open = [...this.connections].map((c) => c.closed);
    await this.stop();
    this.handler?.closeAll();
    await Promise.all(open);
  }

  /** Applies new settings with Toxiproxy's rules: a changed listen, upstream or mode restarts the proxy. */
  async update(next: ProxySettings): Promise<void> {
    const modeChange = Boolean(next.cohort) !== Boolean(this.cohortMode);
    if (next.listen !== this.listen || next.upstream !== this.upstream || modeChange) {
      await this.stop();
      this.listen = next.listen;
      if (next.upstream !== this.upstream) this.handler?.updateUpstream(next.upstream);
      this.upstream = next.upstream;
    }
    if (modeChange) {
      this.handler?.closeAll();
      this.handler = undefined;
    } else if (next.cohort && this.handler && JSON.stringify(next.cohort.settings) !== JSON.stringify(this.cohortMode?.settings)) {
      this.handler.updateCohort(next.cohort.settings);
    }
    this.cohortMode = next.cohort;
    if (next.enabled) await this.start();
    else await this.stop();
  }

  addToxic(record: ToxicRecord): void {
    this.toxicList.push(record);
    for (const c of this.connections) c.link(record.stream).addToxic(record);
    this.pushToxics();
  }

  updateToxic(record: ToxicRecord): void {
    const i = this.toxicList.findIndex((t) => t.name === record.name);
    if (i < 0) return;
    this.toxicList[i] = record;
    for (const c of this.connections) c.link(record.stream).updateToxic(record);
    this.pushToxics();
  }

  removeToxic(name: string): boolean {
    const record = this.toxic(name);
    if (!record) return false;
    this.toxicList = this.toxicList.filter((t) => t !== record);
    for (const c of [...this.connections]) c.link(record.stream).removeToxic(name);
    this.pushToxics();
    return true;
  }

  resetToxics(): void {
    for (const t of this.toxics()) this.removeToxic(t.name);
  }

  /** `GET /proxies/{name}/signals`: the cohort handler's signals, or this TCP proxy's counters. */
  signals(): unknown {
    if (this.handler) return this.handler.signalsJson();
    return { mode: 'tcp', connections: this.connections.size, connectionsTotal: this.stats.connectionsTotal, bytes: this.stats.bytes };
  }

  private createHandler(mode: NonNullable<ProxySettings['cohort']>): HttpCohortHandler {
    const handler = mode.module.createHttpCohortHandler({
      proxyName: this.name,
      upstream: this.upstream,
      cohort: mode.settings,
      logger: this.logger,
      observe: (o) => {
        this.stats.bytes.upstream.received += o.bytesIn;
        this.stats.bytes.downstream.sent += o.bytesOut;
        this.deps.observe(this.name, o);
      },
    });
    handler.updateToxics(this.toxicViews());
    return handler;
  }

  private pushToxics(): void {
    this.handler?.updateToxics(this.toxicViews());
  }

  private toxicViews(): ToxicView[] {
    return this.toxics().map((t) => ({ name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity, attributes: { ...t.attributes } }));
  }

  private accept(client: Socket): void {
    client.on('error', (err) => this.logger.debug({ err }, 'client socket error'));
    if (!this.enabled) return void client.destroy();
    if (this.handler) {
      this.stats.connectionsTotal++;
      return this.handler.handle(client);
    }
    this.dial(client);
  }

  private dial(client: Socket): void {
    const target = parseHostPort(this.upstream);
    if (!target) return void client.destroy();
    const upstream = connect({ host: target.host || 'localhost', port: target.port, allowHalfOpen: true });
    let connected = false;
    this.dialing.add(upstream);
    const timer = setTimeout(() => upstream.destroy(new Error(`connect to ${this.upstream} timed out`)), DIAL_TIMEOUT_MS);
    upstream.on('error', (err) => {
      if (!connected) this.logger.warn({ err, client: client.remoteAddress, upstream: this.upstream }, 'unable to open connection to upstream');
    });
    upstream.once('close', () => {
      clearTimeout(timer);
      this.dialing.delete(upstream);
      if (!connected) client.destroy();
    });
    upstream.once('connect', () => {
      clearTimeout(timer);
      this.dialing.delete(upstream);
      if (!this.enabled || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      connected = true;
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      const conn = new Connection(client, upstream, (stream: Stream, kind, n) => (this.stats.bytes[stream][kind] += n), this.logger);
      this.connections.add(conn);
      this.stats.connectionsTotal++;
      void conn.closed.then(() => this.connections.delete(conn));
      conn.start(this.toxicList);
    });
  }
}
