import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObservation } from './cohort.js';
import type { Proxy } from './proxy.js';
import { STREAMS } from './types.js';

/**
 * The server's Prometheus metrics, in a registry of its own. Byte and connection counters are read from the
 * proxies at scrape time (the data path only adds to plain numbers); the per-cohort request metrics are fed
 * by the cohort handlers' observe hook. The byte counters keep Toxiproxy's names and labels.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'proxy' | 'cohort'>;
  private readonly errors: Counter<'proxy' | 'cohort'>;
  private readonly latency: Histogram<'proxy' | 'cohort'>;

  constructor(proxies: () => readonly Proxy[]) {
    const registers = [this.registry];
    const bytes = (kind: 'received' | 'sent'): void => {
      new Counter({
        name: `toxiproxy_proxy_${kind}_bytes_total`,
        help: `Bytes ${kind} by a proxy link, per direction.`,
        labelNames: ['direction', 'listener', 'proxy', 'upstream'],
        registers,
        collect() {
          this.reset();
          for (const p of proxies()) {
            for (const direction of STREAMS) this.inc({ direction, listener: p.listen, proxy: p.name, upstream: p.upstream }, p.stats.bytes[direction][kind]);
          }
        },
      });
    };
    bytes('received');
    bytes('sent');
    new Counter({
      name: 'firebreak_proxy_connections_total',
      help: 'Client connections accepted by a proxy.',
      labelNames: ['proxy'],
      registers,
      collect() {
        this.reset();
        for (const p of proxies()) this.inc({ proxy: p.name }, p.stats.connectionsTotal);
      },
    });
    new Gauge({
      name: 'firebreak_proxy_connections_active',
      help: 'Client connections open through a proxy (TCP mode).',
      labelNames: ['proxy'],
      registers,
      collect() {
        this.reset();
        for (const p of proxies()) this.set({ proxy: p.name }, p.activeConnections);
      },
    });
    this.requests = new Counter({
      name: 'firebreak_proxy_requests_total',
      help: 'HTTP requests through a proxy in cohort mode, per traffic cohort.',
      labelNames: ['proxy', 'cohort'],
      registers,
    });
    this.errors = new Counter({
      name: 'firebreak_proxy_request_errors_total',
      help: 'Failed HTTP requests through a proxy in cohort mode, per traffic cohort.',
      labelNames: ['proxy', 'cohort'],
      registers,
    });
    this.latency = new Histogram({
      name: 'firebreak_proxy_request_duration_seconds',
      help: 'HTTP request latency through a proxy in cohort mode, per traffic cohort.',
      labelNames: ['proxy', 'cohort'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  observe(proxy: string, o: RequestObservation): void {
    const labels = { proxy, cohort: o.cohort };
    this.requests.inc(labels);
    // The error series starts at 0 with the cohort's first request, not at 1 with its first error: a
    // series that appears at 1 hides that error from rate() and increase(), and a cohort without errors
    // would have no series at all, so errors / requests would answer nothing for it instead of 0.
    this.errors.inc(labels, o.ok ? 0 : 1);
    this.latency.observe(labels, o.latencyMs / 1000);
  }

  /** Forgets a deleted proxy's request series. */
  forget(proxy: string): void {
    for (const m of [this.requests, this.errors, this.latency]) {
      for (const cohort of ['canary', 'control', 'untouched']) m.remove({ proxy, cohort });
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
