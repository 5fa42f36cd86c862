import { LineProcess } from './common.js';

/**
 * The HTTP server the load benchmarks measure against, in a process of its own on 127.0.0.1. It
 * answers `ok` at once, or after `delayMs` (recording how long it held each request), and can be
 * armed for one stall: every request arriving in [start, start + stallMs) is answered at the stall's
 * end, `start` being `afterMs` after the next request arrives. Times are CLOCK_MONOTONIC (ns) as
 * process.hrtime reads it, the same clock in every process on the machine.
 */
const SCRIPT = `
const http = require('node:http');
const now = () => Number(process.hrtime.bigint()) / 1e6;
let delayMs = 0, held = [], arm, stall, first, count = 0, waiting = [];
const server = http.createServer((req, res) => {
  const t = now();
  count++;
  if (arm && first === undefined) { first = t; stall = { start: t + arm.afterMs, end: t + arm.afterMs + arm.stallMs }; arm = undefined; }
  req.resume();
  const answer = () => { res.end('ok'); if (delayMs) held.push(now() - t); };
  if (stall && t >= stall.start && t < stall.end) return void waiting.push(setTimeout(answer, stall.end - t));
  if (delayMs) return void setTimeout(answer, delayMs);
  answer();
});
server.keepAliveTimeout = 60000;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.delayMs !== undefined) { delayMs = m.delayMs; held = []; }
  if (m.arm) { arm = m.arm; first = undefined; stall = undefined; count = 0; }
  if (m.reset) { held = []; count = 0; }
  if (m.report) {
    const s = Float64Array.from(held).sort();
    const at = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : 0);
    return console.log(JSON.stringify({ count, first, stall, held: { n: s.length, p50: at(50), p99: at(99) }, now: now() }));
  }
  console.log(JSON.stringify({ ok: true }));
});
`;

export interface ServerReport {
  count: number;
  first?: number;
  stall?: { start: number; end: number };
  held: { n: number; p50: number; p99: number };
  now: number;
}

export class BenchServer {
  private constructor(
    private readonly proc: LineProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<BenchServer> {
    const proc = LineProcess.start(SCRIPT);
    const { port } = (await proc.ready) as { port: number };
    return new BenchServer(proc, port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async setDelay(delayMs: number): Promise<void> {
    await this.proc.ask({ delayMs });
  }

  async armStall(afterMs: number, stallMs: number): Promise<void> {
    await this.proc.ask({ arm: { afterMs, stallMs } });
  }

  async reset(): Promise<void> {
    await this.proc.ask({ reset: true });
  }

  report(): Promise<ServerReport> {
    return this.proc.ask<ServerReport>({ report: true });
  }

  stop(): void {
    this.proc.stop();
  }
}

/**
 * What an ideal open-model client at `rate` requests/s sees over `durationMs` from its first request
 * when the server stalls from `stallAtMs` for `stallMs`: a request sent at t in the stall waits until
 * its end, every other is answered at once. Returned as the p95 and p99 of those latencies (ms).
 */
export function stallTruth(rate: number, durationMs: number, stallAtMs: number, stallMs: number): { p95: number; p99: number; n: number } {
  const n = Math.round((rate * durationMs) / 1000);
  const lat = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t = (k * 1000) / rate;
    lat[k] = t >= stallAtMs && t < stallAtMs + stallMs ? stallAtMs + stallMs - t : 0;
  }
  lat.sort();
  const at = (p: number): number => lat[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!;
  return { p95: at(95), p99: at(99), n };
}
