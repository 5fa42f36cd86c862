import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/cohort/seeded-random.js';
import { dockerAvailable } from '../../test/helpers/docker.js';
import { diskCampaign, type DiskReport } from './disk.js';
import { fuzzLoader, type LoaderFuzzReport } from './fuzz-loader.js';
import { fuzzProxy, type ProxyFuzzReport } from './fuzz-proxy.js';
import { killCampaign, setUpRig, tearDownRig, type KillReport, type StopSignal } from './kills.js';

/** How much of each part to run: the short form runs in `npm test`, the long form by hand. */
export interface CampaignSize {
  form: 'short' | 'long';
  sigkills: number;
  /** Kills per catchable signal (SIGINT, SIGTERM, SIGHUP). */
  perSignal: number;
  loaderCases: number;
  proxyRequests: number;
  seed: number;
}

export const SHORT: CampaignSize = { form: 'short', sigkills: 4, perSignal: 1, loaderCases: 400, proxyRequests: 1_500, seed: 20261201 };
export const LONG: CampaignSize = { form: 'long', sigkills: 200, perSignal: 25, loaderCases: 10_000, proxyRequests: 10_000, seed: 20261201 };

export interface CampaignReport {
  form: string;
  seed: number;
  startedAt: string;
  durationS: number;
  machine: { cpus: number; loadBefore: number[]; loadAfter: number[] };
  kills: KillReport;
  disk: DiskReport;
  fuzz: { loader: LoaderFuzzReport; proxy: ProxyFuzzReport };
  /** The headline: what the README states. */
  summary: { killsTried: number; faultsLeft: number; fuzzCases: number; crashes: number; hangs: number };
}

/**
 * The moments of the kills: uniform over `[fromMs, toMs]` after the process starts, which spans the
 * end of start-up (loading the code), plan, before, inject, during, revert, after and exit. Signals
 * are shuffled in.
 */
export function killPlan(size: CampaignSize, fromMs: number, toMs: number): { signal: StopSignal; atMs: number }[] {
  const random = seededRandom(size.seed);
  const signals: StopSignal[] = [...Array<StopSignal>(size.sigkills).fill('SIGKILL'), ...(['SIGINT', 'SIGTERM', 'SIGHUP'] as const).flatMap((s) => Array<StopSignal>(size.perSignal).fill(s))];
  return signals
    .map((signal) => ({ signal, atMs: Math.round(fromMs + random() * (toMs - fromMs)), r: random() }))
    .sort((a, b) => a.r - b.r)
    .map(({ signal, atMs }) => ({ signal, atMs }));
}

/**
 * The campaign against firebreak itself: kills at random moments with recover after each, the ledger
 * on full and read-only file systems, and fuzzing of the loader, the proxy API and its data path.
 */
export async function runCampaign(size: CampaignSize, log: (line: string) => void = () => undefined): Promise<CampaignReport> {
  const started = Date.now();
  const loadBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-campaign-'));
  try {
    const docker = await dockerAvailable();
    if (!docker.ok && process.env.FIREBREAK_REQUIRE_DOCKER === '1') throw new Error(`FIREBREAK_REQUIRE_DOCKER=1 but ${docker.reason}`);
    if (docker.ok) docker.connection.close();
    else log(`no Docker engine (${docker.reason}): the kills run without the Docker faults`);
    const rig = await setUpRig(dir, { docker: docker.ok });
    let kills: KillReport;
    try {
      // A run lives about 4 s: some 1.5-2 s of start-up (loading the code), then plan, 2.1 s of phases
      // and the reverts. Kills land from the end of start-up to the exit.
      kills = await killCampaign(rig, killPlan(size, 1_200, 4_000), (o, i) => log(`kill ${i + 1}: ${o.signal} at ${o.atMs} ms (${o.stage}) exit ${o.exitCode}${o.revertMs !== undefined ? `, reverted in ${o.revertMs} ms` : ''}${o.faultsLeft.length ? `, LEFT: ${o.faultsLeft.join('; ')}` : ''}`));
    } finally {
      await tearDownRig(rig);
    }
    log(`kills: ${kills.tried} tried, ${kills.faultsLeft} faults left`);
    const disk = await diskCampaign(dir);
    log(`disk: ${disk.passed} of ${disk.scenarios} scenarios passed${disk.skipped ? ` (skipped: ${disk.skipped})` : ''}`);
    const loader = fuzzLoader({ count: size.loaderCases, seed: size.seed, dir });
    log(`loader fuzz: ${loader.cases} files, ${loader.crashes} crashes, ${loader.hangs} hangs, ${loader.unpositioned} unpositioned`);
    const proxy = await fuzzProxy({ count: size.proxyRequests, seed: size.seed, dir });
    log(`proxy fuzz: ${proxy.requests} requests, ${proxy.crashes} crashes, ${proxy.hangs} hangs, ${proxy.serverErrors} server errors`);
    return {
      form: size.form,
      seed: size.seed,
      startedAt: new Date(started).toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      machine: { cpus: cpus().length, loadBefore: loadBefore.map((x) => Math.round(x * 100) / 100), loadAfter: loadavg().map((x) => Math.round(x * 100) / 100) },
      kills,
      disk,
      fuzz: { loader, proxy },
      summary: {
        killsTried: kills.tried,
        faultsLeft: kills.faultsLeft + disk.faultsLeft,
        fuzzCases: loader.cases + proxy.requests,
        crashes: loader.crashes + proxy.crashes,
        hangs: loader.hangs + proxy.hangs,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
