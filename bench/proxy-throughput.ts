/**
 * Proxy throughput: MB/s of one TCP stream sent as fast as possible, directly to a sink and through the
 * embedded proxy (no toxics; then a noop and a zero latency toxic on both streams), in the same run.
 *
 *   node --import tsx bench/proxy-throughput.ts        # about 25 s
 *
 * The sender and the sink run in a worker thread so the proxy, in the main thread, has its event loop
 * to itself. Each case runs ROUNDS transfers of SECONDS each; the rate counts bytes the sink received
 * between the first write and the sink seeing the end. Results are printed and merged into
 * bench/results/proxy.json (section "throughput").
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { silentLogger } from '../src/log.js';
import { startProxyServer } from '../src/proxy/index.js';
import { PROXY_RESULTS, round2, writeSection } from './proxy-results.js';

const SECONDS = 2;
const ROUNDS = 3;
const RESULTS = PROXY_RESULTS;

const WORKER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
let waiting;
const sink = net.createServer({ allowHalfOpen: true }, (s) => {
  let got = 0;
  s.on('data', (b) => { got += b.length; });
  s.on('end', () => { s.end(); if (waiting) waiting(got); });
});
sink.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: sink.address().port }));
const chunk = Buffer.alloc(64 * 1024, 7);
parentPort.on('message', (m) => {
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
    done.then((got) => {
      const ms = performance.now() - start;
      c.destroy();
      parentPort.postMessage({ sent, got, ms });
    });
  });
  c.on('error', (err) => parentPort.postMessage({ error: String(err) }));
});
`;

interface Transfer {
  sent: number;
  got: number;
  ms: number;
  error?: string;
}

async function transfer(worker: Worker, port: number): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('transfer did not finish in time')), SECONDS * 1000 + 15_000);
    worker.once('message', (m: Transfer) => {
      clearTimeout(timer);
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    worker.postMessage({ port, ms: SECONDS * 1000 });
  });
}

async function measure(label: string, worker: Worker, port: number): Promise<{ label: string; mbPerSecond: number[]; median: number }> {
  const rates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = await transfer(worker, port);
    if (t.got !== t.sent) throw new Error(`${label}: sink received ${t.got} of ${t.sent} bytes`);
    rates.push(Math.round((t.got / 1e6 / (t.ms / 1000)) * 10) / 10);
  }
  const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
  console.log(`${label.padEnd(34)} ${rates.map((r) => `${r}`.padStart(7)).join(' ')} MB/s   median ${median} MB/s`);
  return { label, mbPerSecond: rates, median };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const worker = new Worker(WORKER, { eval: true });
  const { port: sinkPort } = await new Promise<{ port: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const server = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), proxies: [{ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${sinkPort}` }] });
  const proxyPort = Number(server.proxy('bench')!.listen.split(':')[1]);
  const add = async (body: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${server.url}/proxies/bench/toxics`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`add toxic: ${res.status} ${await res.text()}`);
  };
  try {
    console.log(`one TCP stream, ${SECONDS} s per transfer, ${ROUNDS} transfers per case`);
    await transfer(worker, sinkPort); // warm-up
    const direct = await measure('direct', worker, sinkPort);
    const proxied = await measure('through the proxy, no toxics', worker, proxyPort);
    for (const stream of ['upstream', 'downstream']) {
      await add({ name: `noop_${stream}`, type: 'noop', stream });
      await add({ name: `lat_${stream}`, type: 'latency', stream, attributes: { latency: 0 } });
    }
    const toxic = await measure('through the proxy, noop + latency 0', worker, proxyPort);
    const ratio = (x: number): number => Math.round((x / direct.median) * 1000) / 1000;
    console.log(`proxy / direct: ${ratio(proxied.median)} (no toxics), ${ratio(toxic.median)} (with toxics)`);
    writeSection('throughput', {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadBefore: loadBefore.map(round2), loadAfter: os.loadavg().map(round2) },
      settings: { seconds: SECONDS, rounds: ROUNDS, writeSize: 65536 },
      cases: [direct, proxied, toxic],
      ratio: { noToxics: ratio(proxied.median), withToxics: ratio(toxic.median) },
    });
    console.log(`written to ${RESULTS}`);
  } finally {
    await server.close();
    await worker.terminate();
  }
}



await main();
