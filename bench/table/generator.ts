import { join } from 'node:path';
import { collectIssues } from '../../src/experiment/issues.js';
import { silentLogger } from '../../src/log.js';
import { parseLoadAttrs } from '../../src/probes/load/attrs.js';
import { ThreadedLoadGenerator } from '../../src/probes/load/threaded.js';
import type { CohortInterval } from '../../src/signals/types.js';
import { summarizeWindow } from '../../src/signals/window.js';
import { findTool, ratioText, round, runTool, sleep, type BenchOptions, type Row } from './common.js';
import { BenchServer, stallTruth } from './servers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const AUTOCANNON = join(ROOT, 'node_modules', '.bin', 'autocannon');

/** One window of firebreak's load generator with default settings (only url and rate given), as a run uses it. */
async function firebreakWindow(url: string, rate: number, windowMs: number, opts: { onWindowStart?: () => Promise<void>; perSecond?: boolean } = {}) {
  const issues = collectIssues();
  const attrs = parseLoadAttrs({ url, rate }, issues);
  if (!attrs) throw new Error(JSON.stringify(issues.issues));
  const gen = new ThreadedLoadGenerator(attrs);
  const ac = new AbortController();
  const intervals: CohortInterval[] = [];
  await gen.start({ signal: ac.signal, logger: silentLogger() });
  try {
    await sleep(gen.warmupMs);
    await gen.collect();
    gen.beginWindow();
    // This process's CPU over the window: the generator's thread and this one (the server has its own process).
    const cpu0 = process.cpuUsage();
    await opts.onWindowStart?.();
    const start = Date.now();
    // Collected every second, as the engine's ticks do: each interval is judged on its own.
    for (let t = 1000; t <= windowMs; t += 1000) {
      await sleep(start + t - Date.now());
      intervals.push((await gen.collect()).untouched!);
    }
    gen.endWindow();
    const cpu = process.cpuUsage(cpu0);
    const end = Date.now();
    const drainUntil = Date.now() + gen.drainMs;
    for (;;) {
      await sleep(100);
      const i = (await gen.collect()).untouched!;
      intervals.push(i);
      if ((i.outstanding ?? 0) === 0 || Date.now() > drainUntil) break;
    }
    const window = summarizeWindow('untouched', intervals, start, end, { maxLagMs: attrs.maxLagMs });
    const completed = intervals.reduce((n, i) => n + i.requests, 0);
    return { window, intervals, attrs, cpuUsPerRequest: completed ? (cpu.user + cpu.system) / completed : NaN, cores: (cpu.user + cpu.system) / 1000 / (end - start) };
  } finally {
    await gen.stop();
  }
}

interface PeerLatency {
  p50?: number;
  p95?: number;
  p99?: number;
  rate?: number;
  note?: string;
}

async function autocannon(url: string, rate: number, seconds: number, connections: number): Promise<PeerLatency> {
  const r = await runTool(process.execPath, [AUTOCANNON, '-R', String(rate), '-c', String(connections), '-d', String(seconds), '-j', url], seconds * 1000 + 30_000);
  const j = JSON.parse(r.stdout) as { latency: Record<string, number>; requests: { average: number } };
  return { p50: j.latency.p50, p99: j.latency.p99, rate: j.requests.average, note: `p97.5 ${j.latency.p97_5} ms` };
}

async function hey(path: string, url: string, rate: number, seconds: number, connections: number): Promise<PeerLatency> {
  const r = await runTool(path, ['-z', `${seconds}s`, '-q', String(rate / connections), '-c', String(connections), url], seconds * 1000 + 30_000);
  const at = (p: number): number | undefined => {
    const m = new RegExp(`\\b${p}%% in ([\\d.]+) secs`.replace('%%', '%')).exec(r.stdout);
    return m ? Number(m[1]) * 1000 : undefined;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  return { p50: at(50), p95: at(95), p99: at(99), ...(rps ? { rate: Number(rps[1]) } : {}) };
}

async function wrk(path: string, url: string, seconds: number, connections: number): Promise<PeerLatency> {
  const r = await runTool(path, ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', url], seconds * 1000 + 30_000);
  const at = (p: number): number | undefined => {
    const m = new RegExp(`\\n\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\b`).exec(r.stdout);
    if (!m) return undefined;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  return { p50: at(50), p99: at(99), ...(rps ? { rate: Number(rps[1]) } : {}), note: 'closed loop: no rate option' };
}

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${round(v, v < 10 ? 2 : 0)} ms`);

export async function generatorRows(opts: BenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const server = await BenchServer.start();
  const heyTool = findTool('hey');
  const wrkTool = findTool('wrk');
  try {
    rows.push(await latencyAccuracy(server, opts));
    rows.push(...(await coordinatedOmission(server, opts, heyTool, wrkTool)));
    rows.push(await throughput(server, opts));
  } finally {
    server.stop();
  }
  return rows;
}

// The generator's own added delay: p99 against a server that answers at once, at 1,000 requests/s.
async function latencyAccuracy(server: BenchServer, opts: BenchOptions): Promise<Row> {
  const seconds = opts.quick ? 5 : 10;
  await server.setDelay(0);
  const { window } = await firebreakWindow(server.url, 1000, seconds * 1000);
  const peer = await autocannon(server.url, 1000, seconds, 50);
  const p99 = window.latency.p99;
  return {
    row: 'Latency accuracy (generator’s own delay)',
    command: `load probe, defaults, 1,000/s for ${seconds} s against a server that answers at once (its own time < 0.1 ms)`,
    figure: `p50 ${ms(window.latency.p50)}, p99 ${ms(p99)}`,
    peer: `autocannon -R 1000 -c 50 -d ${seconds}`,
    peerFigure: `p50 ${ms(peer.p50)}, p99 ${ms(peer.p99)}`,
    ratio: ratioText(p99, peer.p99 ?? NaN),
    target: 'p99 ≤ 2 ms',
    met: p99 <= 2 ? 'met' : 'missed',
    ...(p99 > 2 ? { note: `p99 ${round(p99 - 2, 2)} ms over; the generator's worst lag in the window was ${window.generator?.maxLagMs} ms` } : {}),
  };
}

// A 1 s stall at 1,000 requests/s: what each tool reports against what an ideal open-model client sees.
async function coordinatedOmission(server: BenchServer, opts: BenchOptions, heyTool: ReturnType<typeof findTool>, wrkTool: ReturnType<typeof findTool>): Promise<Row[]> {
  const seconds = opts.quick ? 6 : 10;
  const stallAt = 3000;
  const truth = stallTruth(1000, seconds * 1000, stallAt, 1000);
  await server.setDelay(0);
  const { window } = await firebreakWindow(server.url, 1000, seconds * 1000, { onWindowStart: () => server.armStall(stallAt, 1000) });
  const fb = { p95: window.latency.p95, p99: window.latency.p99 };
  const err = (v: number | undefined, t: number): number => (v === undefined ? NaN : Math.abs(v - t) / t);
  const worst = Math.max(err(fb.p95, truth.p95), err(fb.p99, truth.p99));
  const truthText = `truth p95 ${ms(truth.p95)}, p99 ${ms(truth.p99)}`;
  const dropped = window.generator?.droppedSends ?? 0;
  const late = window.generator?.lateSends ?? 0;
  const rows: Row[] = [
    {
      row: 'Coordinated omission: firebreak (defaults)',
      command: `load probe, defaults (maxInFlight ${Math.ceil(1000 * 2 * 1.25) + 16}), 1,000/s for ${seconds} s; the server stalls 1 s at 3 s`,
      figure: `p95 ${ms(fb.p95)}, p99 ${ms(fb.p99)}; ${dropped} dropped`,
      peer: 'truth (the server’s schedule)',
      peerFigure: truthText,
      ratio: `${ratioText(fb.p95, truth.p95)} / ${ratioText(fb.p99, truth.p99)}`,
      target: 'p95 and p99 within 5% of the truth',
      met: worst <= 0.05 ? 'met' : 'missed',
      ...(worst > 0.05 ? { note: `off by ${round(worst * 100, 1)}%; the generator's worst lag in the window was ${window.generator?.maxLagMs} ms and ${late} sends left late: time the generator's thread did not run is counted in the latency of the sends due then, on top of the stall` } : {}),
    },
  ];
  const peers: [string, () => Promise<PeerLatency>, string | undefined][] = [
    ['autocannon', () => autocannon(server.url, 1000, seconds, 50), `autocannon -R 1000 -c 50 -d ${seconds}`],
    ['hey', () => hey((heyTool as { path: string }).path, server.url, 1000, seconds, 50), 'path' in heyTool ? `hey -z ${seconds}s -q 20 -c 50` : undefined],
    ['wrk', () => wrk((wrkTool as { path: string }).path, server.url, seconds, 50), 'path' in wrkTool ? `wrk -t1 -c50 -d${seconds}s --latency` : undefined],
  ];
  for (const [name, run, command] of peers) {
    if (!command) {
      const why = name === 'hey' ? (heyTool as { missing: string }).missing : (wrkTool as { missing: string }).missing;
      console.log(`  skipping ${name}: ${why}`);
      rows.push({ row: `Coordinated omission: ${name}`, command: '-', figure: '-', peer: 'truth', peerFigure: truthText, ratio: '-', target: '-', met: '-', note: `skipped: ${why}` });
      continue;
    }
    await server.armStall(stallAt, 1000);
    const p = await run();
    rows.push({
      row: `Coordinated omission: ${name}`,
      command,
      figure: `p95 ${ms(p.p95)}, p99 ${ms(p.p99)}${p.p50 !== undefined ? `, p50 ${ms(p.p50)}` : ''}`,
      peer: 'truth (the server’s schedule)',
      peerFigure: truthText,
      ratio: `${p.p95 !== undefined ? ratioText(p.p95, truth.p95) : '-'} / ${ratioText(p.p99 ?? NaN, truth.p99)}`,
      target: '-',
      met: '-',
      ...(p.note ? { note: p.note } : {}),
    });
  }
  return rows;
}

// 5,000 requests/s held in every 1 s interval.
async function throughput(server: BenchServer, opts: BenchOptions): Promise<Row> {
  const seconds = opts.quick ? 5 : 10;
  const rate = 5000;
  await server.setDelay(0);
  const { window, intervals, cpuUsPerRequest, cores } = await firebreakWindow(server.url, rate, seconds * 1000);
  const perSecond = intervals.slice(0, seconds).map((i) => ((i.scheduledSends! - i.droppedSends!) * 1000) / (i.end - i.start));
  const worst = Math.max(...perSecond.map((r) => Math.abs(r - rate) / rate));
  const late = intervals.reduce((n, i) => n + (i.lateSends ?? 0), 0);
  const peer = await autocannon(server.url, rate, seconds, 100);
  return {
    row: 'Generator throughput',
    command: `load probe, defaults, 5,000/s for ${seconds} s against a server that answers at once`,
    figure: `every 1 s interval ${round(Math.min(...perSecond), 0)}-${round(Math.max(...perSecond), 0)}/s (worst ${round(worst * 100, 2)}% off); ${late} late sends; ${window.generator?.trustworthy ? 'trusted' : 'untrusted'}`,
    peer: `autocannon -R 5000 -c 100 -d ${seconds}`,
    peerFigure: `${round(peer.rate ?? NaN, 0)}/s on average`,
    ratio: ratioText(window.traffic.rate, peer.rate ?? NaN),
    target: 'every 1 s interval within 2% of 5,000/s',
    met: worst <= 0.02 ? 'met' : 'missed',
    ...(worst > 0.02
      ? { note: `worst interval ${round(worst * 100, 1)}% off; the generator took ${round(cpuUsPerRequest, 0)} µs of CPU per completed request (${round(cores, 2)} cores over the window, beside the server's process on the same cores) and its worst lag was ${window.generator?.maxLagMs} ms: once it falls behind, every late send needs a connection of its own and timed-out requests close theirs` }
      : {}),
  };
}
