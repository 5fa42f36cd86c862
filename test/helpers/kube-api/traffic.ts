import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isReady } from './cluster.js';
import type { KubeApiServer } from './server.js';

/**
 * Stand-ins for the data plane of the simulated cluster, so experiments against the test API server
 * have traffic whose signals follow what the API says. They read the server's store, never firebreak.
 */
export interface TrafficServer {
  url: string;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

/**
 * A Service in front of a workload's pods, like kube-proxy: requests go round-robin to the endpoints,
 * the Running and Ready pods matching `selector`, as last seen (the endpoint list is refreshed every
 * `refreshMs`, as endpoints propagate with a delay). A request sent to a pod that has since gone or is
 * terminating fails with 503, as a connection to a dead pod does; no endpoint at all is 503 too.
 */
export async function startEndpointService(api: KubeApiServer, namespace: string, selector: Record<string, string>, opts: { refreshMs?: number } = {}): Promise<TrafficServer> {
  const matches = (labels: Record<string, string> | undefined): boolean => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
  let endpoints: { name: string; uid: string }[] = [];
  const refresh = (): void => {
    endpoints = api.store.list('', 'pods', namespace).filter((p) => matches(p.metadata.labels) && isReady(p)).map((p) => ({ name: p.metadata.name, uid: p.metadata.uid }));
  };
  refresh();
  const timer = setInterval(refresh, opts.refreshMs ?? 250);
  let turn = 0;
  const { server, url } = await listen((req, res) => {
    req.resume();
    const ep = endpoints.length ? endpoints[turn++ % endpoints.length] : undefined;
    const pod = ep && api.store.get('', 'pods', namespace, ep.name);
    if (!ep || !pod || pod.metadata.uid !== ep.uid || pod.metadata.deletionTimestamp) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error or disconnect/reset before headers\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': ep.name }).end(`ok from ${ep.name}\n`);
  });
  return { url, close: async () => (clearInterval(timer), closeServer(server)) };
}

type StringMatch = { exact?: string; prefix?: string; regex?: string };

function stringMatches(m: StringMatch, v: string | undefined): boolean {
  if (v === undefined) return false;
  if (m.exact !== undefined) return v === m.exact;
  if (m.prefix !== undefined) return v.startsWith(m.prefix);
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(v);
  return true;
}

/**
 * The part of an Istio sidecar these tests need: for each request it takes the VirtualService as the
 * API holds it now, finds the first HTTP route whose match (uri, headers) fits, applies that route's
 * fault (a fixed delay, or an abort status, to `percentage` of the requests) and answers 200 from the
 * upstream. Route destinations are not followed: there is one upstream.
 */
export async function startMeshGateway(api: KubeApiServer, namespace: string, virtualService: string, opts: { upstreamMs?: number } = {}): Promise<TrafficServer> {
  const timers = new Set<NodeJS.Timeout>();
  const { server, url } = await listen((req, res) => {
    req.resume();
    const vs = api.store.get('networking.istio.io', 'virtualservices', namespace, virtualService);
    const routes = (vs?.spec?.http ?? []) as { name?: string; match?: { uri?: StringMatch; headers?: Record<string, StringMatch> }[]; fault?: { delay?: { fixedDelay?: string; percentage?: { value?: number } }; abort?: { httpStatus?: number; percentage?: { value?: number } } } }[];
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes.find((r) => !r.match?.length || r.match.some((m) => (!m.uri || stringMatches(m.uri, path)) && Object.entries(m.headers ?? {}).every(([h, sm]) => stringMatches(sm, req.headers[h.toLowerCase()] as string | undefined))));
    if (!route) {
      res.writeHead(404).end('no route\n');
      return;
    }
    const hit = (p: { value?: number } | undefined): boolean => Math.random() * 100 < (p?.value ?? 100);
    const abort = route.fault?.abort;
    if (abort && hit(abort.percentage)) {
      res.writeHead(abort.httpStatus ?? 503, { 'content-type': 'text/plain' }).end('fault filter abort\n');
      return;
    }
    const delay = route.fault?.delay;
    const delayMs = delay && hit(delay.percentage) ? Number.parseFloat(delay.fixedDelay ?? '0') * 1000 : 0;
    const t = setTimeout(() => {
      timers.delete(t);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-route': route.name ?? '' }).end('ok\n');
    }, delayMs + (opts.upstreamMs ?? 2));
    timers.add(t);
  });
  return {
    url,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await closeServer(server);
    },
  };
}
