import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Link, type LinkOwner } from './link.js';
import type { Stream } from './toxics/types.js';
import type { ToxicRecord } from './types.js';

// How long a graceful close waits for peers to take the remaining bytes before destroying the sockets.
const CLOSE_GRACE_MS = 5000;

/**
 * A client socket and its upstream socket joined by two links: upstream (client → server) and downstream
 * (server → client). Half-closes pass through; toxics, a dead peer or `close()` end both directions.
 */
export class Connection implements LinkOwner {
  readonly upstream: Link;
  readonly downstream: Link;
  private isClosing = false;
  private closedSockets = 0;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Socket,
    private readonly server: Socket,
    private readonly counter: (stream: Stream, kind: 'received' | 'sent', bytes: number) => void,
    private readonly logger: Logger,
  ) {
    this.upstream = new Link('upstream', client, server, this, logger);
    this.downstream = new Link('downstream', server, client, this, logger);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    for (const s of [client, server]) {
      s.on('error', (err: NodeJS.ErrnoException) => this.logger.debug({ code: err.code, side: s === client ? 'client' : 'upstream' }, 'socket error'));
      s.on('close', () => this.onSocketClose(s));
    }
  }

  get closing(): boolean {
    return this.isClosing;
  }

  /** Resolves once both sockets are closed. */
  get closed(): Promise<void> {
    return this.done;
  }

  start(toxics: readonly ToxicRecord[]): void {
    this.upstream.start(toxics.filter((t) => t.stream === 'upstream'));
    this.downstream.start(toxics.filter((t) => t.stream === 'downstream'));
  }

  link(stream: Stream): Link {
    return stream === 'upstream' ? this.upstream : this.downstream;
  }

  count(stream: Stream, kind: 'received' | 'sent', bytes: number): void {
    this.counter(stream, kind, bytes);
  }

  closeFrom(link: Link, keepFrom: number): void {
    this.isClosing = true;
    link.terminateBefore(keepFrom);
    (link === this.upstream ? this.downstream : this.upstream).finishInput();
  }

  reset(): void {
    this.isClosing = true;
    this.upstream.abandon();
    this.downstream.abandon();
    for (const s of [this.client, this.server]) if (!s.destroyed) s.resetAndDestroy();
  }

  /**
   * Closes gracefully: stops reading, hands every byte already read to its destination at once, sends FIN,
   * and destroys the sockets once written (or after a grace period if a peer does not read).
   */
  close(): Promise<void> {
    if (!this.graceTimer) {
      this.isClosing = true;
      this.upstream.flushAndEnd();
      this.downstream.flushAndEnd();
      this.graceTimer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
      this.graceTimer.unref();
    }
    return this.done;
  }

  destroy(): void {
    for (const s of [this.client, this.server]) s.destroy();
  }

  // A socket closed: if the other side still has work, finish what can be finished and close it too.
  private onSocketClose(socket: Socket): void {
    this.closedSockets++;
    if (this.closedSockets === 2) {
      clearTimeout(this.graceTimer);
      this.resolveDone();
      return;
    }
    this.isClosing = true;
    const writesTo = socket === this.client ? this.downstream : this.upstream;
    const readsFrom = socket === this.client ? this.upstream : this.downstream;
    writesTo.abandon();
    readsFrom.finishInput();
    if (readsFrom.finished) {
      const other = socket === this.client ? this.server : this.client;
      if (!other.destroyed) other.destroySoon();
    }
  }
}
