import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { collectIssues } from '../../src/experiment/issues.js';
import { silentLogger } from '../../src/log.js';
import { parseLoadAttrs } from '../../src/probes/load/attrs.js';
import { ThreadedLoadGenerator } from '../../src/probes/load/threaded.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { median, ratioText, round, runTool, sleep, type BenchOptions, type Row } from './common.js';
import { BenchServer } from './servers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const AUTOCANNON = join(ROOT, 'node_modules', '.bin', 'autocannon');

// The traffic's two ends, in a worker thread so the proxy in the main thread has its event loop to
// itself: a sink and a sender for bulk transfers, an echo server and a client for round trips.
const ENDS = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
let waiting;
const sink = net.createServer({ allowHalfOpen: true }, (s) => {
  let got = 0;
  s.on('data', (b) => { got += b.length; });
  s.on('end', () => { s.end(); if (waiting) waiting(got); });
});
const echo = net.createServer((s) => { s.setNoDelay(true); s.pipe(s); });
let ports = {};
sink.listen(0, '127.0.0.1', () => { ports.sink = sink.address().port; echo.listen(0, '127.0.0.1', () => { ports.echo = echo.address().port; parentPort.postMessage(ports); }); });
const chunk = Buffer.alloc(64 * 1024, 7);
const msg = Buffer.alloc(32, 1);
parentPort.on('message', (m) => {
  if (m.kind === 'bulk') {
    const c = net.connect({ host: '127.0.0.1', port: m.port, allowHalfOpen: true }, () => {
      const start = performance.now();
      let sent = 0;
      const done = new Promise((r) => { waiting = r; });
      const pump = () => {
        while (performance.now() - start < m.ms) {
          sent += chunk.length;
          if (!c.write(chunk)) return void c.once('drain', pump);
        }
        c.end();
      };
      pump();
      done.then((got) => { const ms = performance.now() - start; c.destroy(); parentPort.postMessage({ sent, got, ms }); });
    });
    c.on('error', (err) => parentPort.postMessage({ error: String(err) }));
    return;
  }
  const c = net.connect({ host: '127.0.0.1', port: m.port }, async () => {
    c.setNoDelay(true);
    let pending, got = 0;
    c.on('data', (b) => { got += b.length; if (got >= msg.length && pending) { got -= msg.length; const p = pending; pending = undefined; p(); } });
    const once = () => new Promise((r) => { pending = r; c.write(msg); });
    for (let i = 0; i < m.warmup; i++) await once();
    const times = [];
    const start = performance.now();
    while (times.length < m.count && performance.now() - start < m.maxMs) { const t0 = performance.now(); await once(); times.push(performance.now() - t0); }
    c.destroy();
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
    parentPort.postMessage({ count: times.length, p50: at(50), p99: at(99) });
  });
  c.on('error', (err) => parentPort.postMessage({ error: String(err) }));
});
`;

class Ends {
  private constructor(
    private readonly worker: Worker,
    readonly sinkPort: number,
    readonly echoPort: number,
  ) {}
  static async start(): Promise<Ends> {
    const worker = new Worker(ENDS, { eval: true });
    const ports = await new Promise<{ sink: number; echo: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    return new Ends(worker, ports.sink, ports.echo);
  }
  private ask<T>(m: unknown, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the traffic worker did not answer in time')), timeoutMs);
      this.worker.once('message', (r: T & { error?: string }) => {
        clearTimeout(timer);
        if (r.error) reject(new Error(r.error));
        else resolve(r);
      });
      this.worker.postMessage(m);
    });
  }
  /** MB/s of one stream written as fast as the socket takes it, counted at the sink (checked whole). */
  async bulk(port: number, ms: number): Promise<number> {
    const t = await this.ask<{ sent: number; got: number; ms: number }>({ kind: 'bulk', port, ms }, ms + 20_000);
    if (t.got !== t.sent) throw new Error(`the sink received ${t.got} of ${t.sent} bytes`);
    return t.got / 1e6 / (t.ms / 1000);
  }
  roundTrips(port: number, count: number): Promise<{ count: number; p50: number; p99: number }> {
    return this.ask({ kind: 'rtt', port, count, warmup: 500, maxMs: 5000 }, 30_000);
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The peer: a bare Node relay, `client.pipe(upstream).pipe(client)`, with the proxy's socket settings. */
function barePipe(upstreamPort: number): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const up = connect({ host: '127.0.0.1', port: upstreamPort, allowHalfOpen: true }, () => {
      client.setNoDelay(true);
      up.setNoDelay(true);
      client.pipe(up);
      up.pipe(client);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (s: Server): number => (s.address() as { port: number }).port;
const listenPort = (server: ProxyServer, name: string): number => Number(server.proxy(name)!.listen.split(':').pop());

async function api(server: ProxyServer, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(5000) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

export async function proxyRows(opts: BenchOptions): Promise<Row[]> {
  const ends = await Ends.start();
  const target = await BenchServer.start();
  const server = await startProxyServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    proxies: [
      { name: 'bulk', listen: '127.0.0.1:0', upstream: `127.0.0.1:${ends.sinkPort}` },
      { name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${ends.echoPort}` },
      { name: 'tcp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}` },
      { name: 'cohort', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}`, cohort: { key: 'header:x-user-id', canary: 0.2, control: 0.2, salt: 'bench' } },
    ],
  });
  const pipeToSink = await barePipe(ends.sinkPort);
  const pipeToEcho = await barePipe(ends.echoPort);
  try {
    return [
      await throughputRow(ends, server, portOf(pipeToSink), opts),
      ...(await latencyRows(ends, server, portOf(pipeToEcho), opts)),
      await cohortAccuracyRow(server, opts),
      await cohortCostRow(server, opts),
    ];
  } finally {
    pipeToSink.close();
    pipeToEcho.close();
    await server.close();
    target.stop();
    await ends.stop();
  }
}

async function throughputRow(ends: Ends, server: ProxyServer, pipePort: number, opts: BenchOptions): Promise<Row> {
  const ms = opts.quick ? 1000 : 2000;
  const rounds = opts.quick ? 3 : 5;
  const proxyPort = listenPort(server, 'bulk');
  await ends.bulk(ends.sinkPort, 500); // warm-up
  const rates: Record<'direct' | 'pipe' | 'proxy' | 'toxics', number[]> = { direct: [], pipe: [], proxy: [], toxics: [] };
  // Interleaved, so a change in the machine's load hits every case alike.
  for (let i = 0; i < rounds; i++) {
    rates.direct.push(await ends.bulk(ends.sinkPort, ms));
    rates.pipe.push(await ends.bulk(pipePort, ms));
    rates.proxy.push(await ends.bulk(proxyPort, ms));
  }
  for (const stream of ['upstream', 'downstream']) {
    await api(server, 'POST', '/proxies/bulk/toxics', { name: `noop_${stream}`, type: 'noop', stream });
    await api(server, 'POST', '/proxies/bulk/toxics', { name: `lat_${stream}`, type: 'latency', stream, attributes: { latency: 0 } });
  }
  for (let i = 0; i < rounds; i++) rates.toxics.push(await ends.bulk(proxyPort, ms));
  const m = { direct: median(rates.direct), pipe: median(rates.pipe), proxy: median(rates.proxy), toxics: median(rates.toxics) };
  const ratio = m.proxy / m.pipe;
  return {
    row: 'Proxy throughput (one TCP stream, no toxic)',
    command: `${rounds} × ${ms / 1000} s bulk transfers per case, interleaved; median MB/s`,
    figure: `${round(m.proxy, 0)} MB/s (with a noop and a latency-0 toxic each way: ${round(m.toxics, 0)} MB/s)`,
    peer: 'bare Node pipe relay; direct',
    peerFigure: `${round(m.pipe, 0)} MB/s; direct ${round(m.direct, 0)} MB/s`,
    ratio: `${round(ratio, 2)} of the pipe, ${round(m.proxy / m.direct, 2)} of direct`,
    target: '≥ 0.9 × the bare pipe',
    met: ratio >= 0.9 ? 'met' : 'missed',
    ...(ratio < 0.9 ? { note: `${round((0.9 - ratio) * 100, 0)} points short` } : {}),
  };
}

async function latencyRows(ends: Ends, server: ProxyServer, pipePort: number, opts: BenchOptions): Promise<Row[]> {
  const count = opts.quick ? 2000 : 5000;
  const echoPort = listenPort(server, 'echo');
  const direct = await ends.roundTrips(ends.echoPort, count);
  const pipe = await ends.roundTrips(pipePort, count);
  const proxy = await ends.roundTrips(echoPort, count);
  await api(server, 'POST', '/proxies/echo/toxics', { name: 'lat', type: 'latency', stream: 'downstream', attributes: { latency: 10 } });
  const toxic = await ends.roundTrips(echoPort, Math.min(count, 300));
  await api(server, 'DELETE', '/proxies/echo/toxics/lat');
  const f = (v: number): string => `${round(v, 3)} ms`;
  const added = { p50: proxy.p50 - direct.p50, p99: proxy.p99 - direct.p99 };
  const pipeAdded = { p50: pipe.p50 - direct.p50, p99: pipe.p99 - direct.p99 };
  const overshoot = { p50: toxic.p50 - 10 - direct.p50, p99: toxic.p99 - 10 - direct.p99 };
  return [
    {
      row: 'Proxy added latency (32-byte round trip)',
      command: `${count} round trips, one at a time, on one connection; minus direct`,
      figure: `+${f(added.p50)} p50, +${f(added.p99)} p99`,
      peer: 'bare Node pipe relay',
      peerFigure: `+${f(pipeAdded.p50)} p50, +${f(pipeAdded.p99)} p99`,
      ratio: ratioText(added.p50, pipeAdded.p50),
      target: 'p50 within 0.05 ms of the pipe’s (set here)',
      met: added.p50 - pipeAdded.p50 <= 0.05 ? 'met' : 'missed',
    },
    {
      row: 'Latency toxic (10 ms downstream)',
      command: `${toxic.count} round trips through a 10 ms latency toxic; minus 10 ms and the direct round trip`,
      figure: `overshoot ${f(overshoot.p50)} p50, ${f(overshoot.p99)} p99`,
      peer: 'Toxiproxy',
      peerFigure: '-',
      ratio: '-',
      target: 'p50 overshoot ≤ 1 ms (set here)',
      met: overshoot.p50 <= 1 ? 'met' : 'missed',
      note: 'Toxiproxy is not packaged for npm or Debian and nothing else can be fetched here, so it could not be run beside firebreak',
    },
  ];
}

// The load generator and the cohort proxy hash the same key with the same salt: every request must
// land in the same cohort on both sides.
async function cohortAccuracyRow(server: ProxyServer, opts: BenchOptions): Promise<Row> {
  const seconds = opts.quick ? 3 : 6;
  const issues = collectIssues();
  const url = `http://127.0.0.1:${listenPort(server, 'cohort')}/`;
  const attrs = parseLoadAttrs({ url, rate: 1000, users: { count: 20_000 }, cohort: { key: 'header:x-user-id', salt: 'bench', canary: 0.2, control: 0.2 } }, issues);
  if (!attrs) throw new Error(JSON.stringify(issues.issues));
  const before = server.proxy('cohort')!.signals() as { cohorts: Record<string, { requests: number }> };
  const gen = new ThreadedLoadGenerator(attrs);
  await gen.start({ signal: new AbortController().signal, logger: silentLogger() });
  const counted: Record<string, number> = { canary: 0, control: 0, untouched: 0 };
  try {
    await sleep(seconds * 1000);
  } finally {
    await gen.stop();
  }
  const after = server.proxy('cohort')!.signals() as { cohorts: Record<string, { requests: number }> };
  for (const c of Object.keys(counted)) counted[c] = after.cohorts[c]!.requests - before.cohorts[c]!.requests;
  const total = counted.canary! + counted.control! + counted.untouched!;
  return {
    row: 'Cohort accuracy',
    command: `load probe with cohort 20% / 20% over 20,000 users, 1,000/s for ${seconds} s, through a cohort-mode proxy`,
    figure: `proxy counted canary ${round((100 * counted.canary!) / total, 1)}%, control ${round((100 * counted.control!) / total, 1)}% of ${total}`,
    peer: 'declared shares',
    peerFigure: 'canary 20%, control 20%',
    ratio: ratioText(counted.canary! / total, 0.2),
    target: 'within 1.5 points of the declared share (sampling over 20,000 users)',
    met: Math.abs(counted.canary! / total - 0.2) <= 0.015 && Math.abs(counted.control! / total - 0.2) <= 0.015 ? 'met' : 'missed',
  };
}

// CPU per request of the proxy process in HTTP cohort mode against plain TCP mode, under the same
// closed-loop load (autocannon, 64 connections), the proxy alone in this thread.
async function cohortCostRow(server: ProxyServer, opts: BenchOptions): Promise<Row> {
  const seconds = opts.quick ? 3 : 5;
  const measure = async (name: string): Promise<{ cpuUsPerRequest: number; rps: number }> => {
    const port = listenPort(server, name);
    const url = `http://127.0.0.1:${port}/`;
    const cpu0 = process.cpuUsage();
    const r = await runTool(process.execPath, [AUTOCANNON, '-c', '64', '-d', String(seconds), '-H', 'x-user-id=user-1', '-j', url], seconds * 1000 + 30_000);
    const cpu = process.cpuUsage(cpu0);
    const j = JSON.parse(r.stdout) as { requests: { total: number; average: number }; non2xx: number };
    return { cpuUsPerRequest: (cpu.user + cpu.system) / j.requests.total, rps: j.requests.average };
  };
  await measure('tcp'); // warm-up of both paths
  await measure('cohort');
  const tcp = await measure('tcp');
  const cohort = await measure('cohort');
  const ratio = cohort.cpuUsPerRequest / tcp.cpuUsPerRequest;
  return {
    row: 'Cohort mode cost (CPU per request)',
    command: `autocannon -c 64 -d ${seconds} through a cohort-mode proxy, then a TCP-mode one, to the same server; the proxy's process CPU over requests served`,
    figure: `${round(cohort.cpuUsPerRequest, 1)} µs/request (${round(cohort.rps, 0)} req/s)`,
    peer: 'the same proxy in TCP mode',
    peerFigure: `${round(tcp.cpuUsPerRequest, 1)} µs/request (${round(tcp.rps, 0)} req/s)`,
    ratio: ratioText(cohort.cpuUsPerRequest, tcp.cpuUsPerRequest),
    target: '≤ 1.5 × TCP mode',
    met: ratio <= 1.5 ? 'met' : 'missed',
    ...(ratio > 1.5 ? { note: `${round(ratio - 1.5, 2)} over: parsing and writing HTTP per request is work TCP mode never does` } : {}),
  };
}
