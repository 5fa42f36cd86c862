/**
 * Latency the proxy adds: p50/p99 of small request/response round trips (32 bytes each way, one at a
 * time on one connection) directly to an echo server and through the embedded proxy, in the same run;
 * then through a 10 ms latency toxic, to see how closely the toxic's delay is kept.
 *
 *   node --import tsx bench/proxy-latency.ts        # about 20 s
 *
 * The client and the echo server run in a worker thread so the proxy, in the main thread, has its event
 * loop to itself. Each case is a warm-up then up to COUNT round trips, bounded by MAX_MS. Results are
 * printed and merged into bench/results/proxy.json (section "latency").
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { silentLogger } from '../src/log.js';
import { startProxyServer } from '../src/proxy/index.js';
import { PROXY_RESULTS, round2, writeSection } from './proxy-results.js';

const COUNT = 5000;
const WARMUP = 500;
const MAX_MS = 5000;
const TOXIC_MS = 10;
const RESULTS = PROXY_RESULTS;

const WORKER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const echo = net.createServer((s) => { s.setNoDelay(true); s.pipe(s); });
echo.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: echo.address().port }));
const msg = Buffer.alloc(32, 1);
parentPort.on('message', (m) => {
  const c = net.connect({ host: '127.0.0.1', port: m.port }, async () => {
    c.setNoDelay(true);
    let pending;
    let got = 0;
    c.on('data', (b) => { got += b.length; if (got >= msg.length && pending) { got -= msg.length; const p = pending; pending = undefined; p(); } });
    const once = () => new Promise((r) => { pending = r; c.write(msg); });
    for (let i = 0; i < m.warmup; i++) await once();
    const times = [];
    const start = performance.now();
    while (times.length < m.count && performance.now() - start < m.maxMs) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    c.destroy();
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
    parentPort.postMessage({ count: times.length, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: times[times.length - 1] });
  });
  c.on('error', (err) => parentPort.postMessage({ error: String(err) }));
});
`;

interface Stats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  error?: string;
}

function run(worker: Worker, port: number): Promise<Stats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('round trips did not finish in time')), MAX_MS + 20_000);
    worker.once('message', (m: Stats) => {
      clearTimeout(timer);
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    worker.postMessage({ port, count: COUNT, warmup: WARMUP, maxMs: MAX_MS });
  });
}

const ms = (n: number): number => Math.round(n * 1000) / 1000;

function show(label: string, s: Stats): void {
  console.log(`${label.padEnd(28)} n=${String(s.count).padStart(5)}  p50 ${ms(s.p50).toFixed(3)} ms  p90 ${ms(s.p90).toFixed(3)} ms  p99 ${ms(s.p99).toFixed(3)} ms  p99.9 ${ms(s.p999).toFixed(3)} ms`);
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const worker = new Worker(WORKER, { eval: true });
  const { port: echoPort } = await new Promise<{ port: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const server = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), proxies: [{ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` }] });
  const proxyPort = Number(server.proxy('bench')!.listen.split(':')[1]);
  try {
    const direct = await run(worker, echoPort);
    show('direct', direct);
    const proxied = await run(worker, proxyPort);
    show('through the proxy', proxied);
    const res = await fetch(`${server.url}/proxies/bench/toxics`, { method: 'POST', body: JSON.stringify({ type: 'latency', attributes: { latency: TOXIC_MS } }), signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`add toxic: ${res.status}`);
    const toxic = await run(worker, proxyPort);
    show(`latency toxic ${TOXIC_MS} ms`, toxic);
    const added = { p50: ms(proxied.p50 - direct.p50), p99: ms(proxied.p99 - direct.p99) };
    const overToxic = { p50: ms(toxic.p50 - proxied.p50 - TOXIC_MS), p99: ms(toxic.p99 - proxied.p99 - TOXIC_MS) };
    console.log(`added by the proxy: p50 ${added.p50} ms, p99 ${added.p99} ms`);
    console.log(`latency toxic beyond its ${TOXIC_MS} ms: p50 ${overToxic.p50} ms, p99 ${overToxic.p99} ms`);
    const round = (s: Stats) => ({ count: s.count, p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) });
    writeSection('latency', {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadBefore: loadBefore.map(round2), loadAfter: os.loadavg().map(round2) },
      settings: { count: COUNT, warmup: WARMUP, maxMs: MAX_MS, messageBytes: 32, toxicMs: TOXIC_MS },
      direct: round(direct),
      proxied: round(proxied),
      latencyToxic: round(toxic),
      addedByProxyMs: added,
      toxicOvershootMs: overToxic,
    });
    console.log(`written to ${RESULTS}`);
  } finally {
    await server.close();
    await worker.terminate();
  }
}



await main();
