import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { cohortOf, type TrafficShares } from '../../src/cohort/sticky.js';

/** One answered request, as the service observed it into its metrics. */
export interface ServedRequest {
  /** Date.now() when it was answered. */
  at: number;
  cohort: string;
  route: string;
  code: number;
  seconds: number;
}

export interface InstrumentedService {
  url: string;
  /** `127.0.0.1:<port>`, for a scrape configuration. */
  address: string;
  /** Every request answered so far (not `/metrics`), the ground truth its metrics summarise. */
  served(): readonly ServedRequest[];
  close(): Promise<void>;
}

/**
 * A small service instrumented the common way with prom-client: a counter `http_requests_total` and a
 * histogram `http_request_duration_seconds`, labelled `method`, `route`, `code` and `cohort` (from the
 * sticky key, hashed with the experiment's salt and shares, as `probes/prometheus-golden-signals.yaml`
 * expects). `GET /items` calls the dependency (through a cohort-aware proxy), passing the user key on;
 * a failed dependency call answers 502. `GET /metrics` serves the registry.
 */
export async function startInstrumentedService(opts: {
  dependencyUrl: string;
  cohort: TrafficShares & { salt: string };
  userHeader?: string;
}): Promise<InstrumentedService> {
  const header = opts.userHeader ?? 'x-user-id';
  const registry = new Registry();
  const labelNames = ['method', 'route', 'code', 'cohort'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests served.', labelNames, registers: [registry] });
  const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request latency.', labelNames, registers: [registry] });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const served: ServedRequest[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/metrics') {
      void registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      });
      return;
    }
    const started = performance.now();
    const user = String(req.headers[header] ?? 'anonymous');
    const labels = { method: req.method ?? 'GET', route: path === '/items' ? '/items' : 'other', cohort: cohortOf(user, opts.cohort.salt, opts.cohort) };
    const finish = (code: number): void => {
      if (res.headersSent) return;
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(code === 200 ? 'ok' : 'failed');
      const seconds = (performance.now() - started) / 1000;
      requests.inc({ ...labels, code: String(code) });
      duration.observe({ ...labels, code: String(code) }, seconds);
      served.push({ at: Date.now(), cohort: labels.cohort, route: labels.route, code, seconds });
    };
    if (path !== '/items') return finish(404);
    const call = request(`${opts.dependencyUrl}/stock`, { agent, headers: { [header]: user }, signal: AbortSignal.timeout(5000) }, (dep) => {
      dep.resume();
      dep.on('end', () => finish((dep.statusCode ?? 500) < 500 ? 200 : 502));
      dep.on('error', () => finish(502));
    });
    call.on('error', () => finish(502));
    call.end();
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    served: () => served,
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
