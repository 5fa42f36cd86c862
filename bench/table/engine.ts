import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { openDocker } from '../../src/drivers/docker/client.js';
import { parseDockerConfig } from '../../src/drivers/docker/config.js';
import { RunEvents } from '../../src/engine/events.js';
import { runExperiment } from '../../src/engine/run.js';
import { collectIssues } from '../../src/experiment/issues.js';
import { defineExperiment } from '../../src/experiment/loader.js';
import { freePort } from '../../test/helpers/docker.js';
import { ratioText, round, type BenchOptions, type Row } from './common.js';
import { BenchServer } from './servers.js';

const TEST_IMAGE = 'firebreak-test/busybox:latest';

function tempLedger(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-'));
  return { path: join(dir, 'ledger.jsonl'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * How fast a tripped stop condition takes the fault away: an HTTP abort toxic (503 to the canary) on
 * the embedded proxy, a guard rail on the canary's errors, and the time from the trip to the fault's
 * revert (the engine's own events), over several runs.
 */
export async function abortRow(opts: BenchOptions): Promise<Row> {
  const runs = opts.quick ? 2 : 5;
  const server = await BenchServer.start();
  const trips: number[] = [];
  const detections: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const listen = `127.0.0.1:${await freePort()}`;
      const e = defineExperiment({
        title: 'abort speed',
        target: { proxy: { proxies: [{ name: 'svc', listen, upstream: `127.0.0.1:${server.port}` }] } },
        cohort: { traffic: { canary: 0.5, control: 0.5, key: 'header:x-user-id', salt: 'bench' } },
        phases: { before: '2s', during: '20s', after: '1s', tick: '250ms' },
        hypothesis: { probes: [{ name: 'load', type: 'load', url: `http://${listen}/`, rate: 400, warmup: '500ms' }], tolerances: [] },
        faults: [{ type: 'proxy.abort', proxy: 'svc', status: 503 }],
        abort: ['load.errors.rate > 20% min 20'],
      });
      const events = new RunEvents();
      const at: Record<string, number> = {};
      events.on('fault-applied', () => (at.applied = performance.now()));
      events.on('abort-tripped', () => (at.tripped = performance.now()));
      events.on('fault-reverted', () => (at.reverted = performance.now()));
      const ledger = tempLedger();
      try {
        const r = await runExperiment(e, { ledgerPath: ledger.path, events });
        if (r.status !== 'aborted' || at.tripped === undefined || at.reverted === undefined) throw new Error(`abort run ended ${r.status}: ${r.journal.verdict.reason}`);
      } finally {
        ledger.cleanup();
      }
      trips.push(at.reverted! - at.tripped!);
      detections.push(at.tripped! - at.applied!);
    }
  } finally {
    server.stop();
  }
  const worst = Math.max(...trips);
  return {
    row: 'Abort speed (trip to revert)',
    command: `${runs} runs: 503 to the canary at 400 req/s, guard rail errors.rate > 20% min 20, tick 250 ms`,
    figure: `trip to revert ${round(Math.min(...trips), 1)}-${round(worst, 1)} ms (fault live to trip ${round(Math.min(...detections), 0)}-${round(Math.max(...detections), 0)} ms)`,
    peer: '-',
    peerFigure: '-',
    ratio: '-',
    target: 'trip to revert ≤ 250 ms, one tick (set here)',
    met: worst <= 250 ? 'met' : 'missed',
  };
}

interface ScaleRun {
  pauseSpanMs: number;
  unpauseSpanMs: number;
  underFault: number[];
}

/**
 * N busybox containers paused by one experiment (docker.pause, mode all) and unpaused by its revert,
 * timed by the engine's own event stream (the pause and unpause times Docker records); once with the
 * default concurrency, once one at a time.
 */
export async function revertAtScaleRow(opts: BenchOptions): Promise<Row> {
  const count = opts.quick ? 20 : 100;
  const duringMs = opts.quick ? 3000 : 5000;
  const issues = collectIssues();
  const config = parseDockerConfig({}, issues);
  if (!config) throw new Error('no Docker settings');
  let conn;
  try {
    conn = await openDocker(config);
    await Promise.race([conn.docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out after 5 s')), 5000).unref())]);
  } catch (err) {
    const why = `no Docker engine answers (${(err as Error).message})`;
    console.log(`  skipping Revert at scale: ${why}`);
    return { row: `Revert at scale (${count} containers)`, command: '-', figure: '-', peer: '-', peerFigure: '-', ratio: '-', target: '≤ 1 s each way', met: 'missed', note: `not run: ${why}` };
  }
  const docker = conn.docker;
  const label = `firebreak-bench-${randomBytes(4).toString('hex')}`;
  try {
    await ensureImage(docker);
    await makeContainers(docker, label, count);
    const parallel = await pauseRun(docker, label, duringMs, undefined);
    const serial = await pauseRun(docker, label, duringMs, 1);
    const worstOff = Math.max(...parallel.underFault.map((d) => Math.abs(d - duringMs)));
    const met = parallel.pauseSpanMs <= 1000 && parallel.unpauseSpanMs <= 1000 && worstOff <= 1000;
    return {
      row: `Revert at scale (${count} containers)`,
      command: `docker.pause, mode all, during ${duringMs / 1000} s, tick 1 s, phases.concurrency 16 (default); times from Docker's events`,
      figure: `pause all ${round(parallel.pauseSpanMs, 0)} ms, unpause all ${round(parallel.unpauseSpanMs, 0)} ms; paused ${round(Math.min(...parallel.underFault) / 1000, 2)}-${round(Math.max(...parallel.underFault) / 1000, 2)} s for a declared ${duringMs / 1000} s`,
      peer: 'the same, phases.concurrency 1 (one at a time)',
      peerFigure: `pause all ${round(serial.pauseSpanMs, 0)} ms, unpause all ${round(serial.unpauseSpanMs, 0)} ms; paused ${round(Math.min(...serial.underFault) / 1000, 2)}-${round(Math.max(...serial.underFault) / 1000, 2)} s`,
      ratio: `${ratioText(parallel.pauseSpanMs, serial.pauseSpanMs)} / ${ratioText(parallel.unpauseSpanMs, serial.unpauseSpanMs)}`,
      target: 'pause and unpause all ≤ 1 s each; time under fault within one tick (1 s) of the declared',
      met: met ? 'met' : 'missed',
      ...(met ? {} : { note: `pause ${round(parallel.pauseSpanMs, 0)} ms, unpause ${round(parallel.unpauseSpanMs, 0)} ms, worst time under fault ${round(worstOff, 0)} ms off` }),
    };
  } finally {
    const list = await docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    conn.close();
  }
}

async function ensureImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch {
    const { execFileSync } = await import('node:child_process');
    execFileSync('bash', [join(import.meta.dirname, '..', '..', 'scripts', 'build-test-images.sh')], { stdio: 'inherit', timeout: 180_000 });
  }
}

async function makeContainers(docker: Docker, label: string, count: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const c = await docker.createContainer({ name: `${label}-${i}`, Image: TEST_IMAGE, Cmd: ['sleep', '3600'], Labels: { [label]: '1' }, HostConfig: { NetworkMode: 'none' } });
      await c.start();
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
}

async function pauseRun(docker: Docker, label: string, duringMs: number, concurrency: number | undefined): Promise<ScaleRun> {
  const e = defineExperiment({
    title: 'revert at scale',
    cohort: { targets: { driver: 'docker', selector: { labels: { [label]: '1' } }, mode: 'all' } },
    phases: { before: '250ms', during: `${duringMs}ms`, after: '250ms', tick: '1s', ...(concurrency ? { concurrency } : {}) },
    faults: [{ type: 'docker.pause' }],
  });
  const since = Math.floor(Date.now() / 1000) - 1;
  let injectAt = 0;
  let revertAt = 0;
  const events = new RunEvents();
  events.on('phase-ended', (p) => {
    if (p.phase === 'before') injectAt = Date.now();
  });
  events.on('phase-started', (p) => {
    if (p.phase === 'revert') revertAt = Date.now();
  });
  const ledger = tempLedger();
  try {
    const r = await runExperiment(e, { ledgerPath: ledger.path, events });
    if (r.status !== 'held') throw new Error(`pause run ended ${r.status}: ${r.journal.verdict.reason}`);
  } finally {
    ledger.cleanup();
  }
  const until = Math.ceil(Date.now() / 1000) + 1;
  const stream = (await docker.getEvents({ since, until, filters: { type: ['container'], event: ['pause', 'unpause'], label: [`${label}=1`] } } as never)) as unknown as NodeJS.ReadableStream;
  const text = await new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
  const paused = new Map<string, number>();
  const unpaused = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as { status?: string; Action?: string; id: string; timeNano: number };
    const action = ev.Action ?? ev.status;
    (action === 'pause' ? paused : unpaused).set(ev.id, ev.timeNano / 1e6);
  }
  const underFault = [...paused].map(([id, t]) => (unpaused.get(id) ?? NaN) - t);
  return {
    pauseSpanMs: Math.max(...paused.values()) - injectAt,
    unpauseSpanMs: Math.max(...unpaused.values()) - revertAt,
    underFault,
  };
}
