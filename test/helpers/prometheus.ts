import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitUntil } from './docker.js';

/** A job Prometheus scrapes: one `host:port` on loopback. */
export interface ScrapeTarget {
  job: string;
  address: string;
  metricsPath?: string;
}

/** A real Prometheus server this process started, on 127.0.0.1 with its storage in a temporary directory. */
export interface RealPrometheus {
  /** `http://127.0.0.1:<port>`, the base URL of its HTTP API. */
  url: string;
  /** What `/api/v1/status/buildinfo` says, e.g. `2.42.0+ds`. */
  version: string;
  scrapeIntervalMs: number;
  /** The last lines it logged, for failure messages. */
  log(): string;
  /** SIGTERM, then SIGKILL if it has not exited in 10 s; waits for the exit and removes its storage. */
  stop(): Promise<void>;
}

const REQUIRE = 'FIREBREAK_REQUIRE_PROMETHEUS';
const LOG_LIMIT = 8192;

/** The binary the tests run: FIREBREAK_PROMETHEUS_BIN, else `prometheus` on PATH (Debian's package: /usr/bin). */
export function findPrometheus(): { bin: string } | { reason: string } {
  const explicit = process.env.FIREBREAK_PROMETHEUS_BIN;
  const candidates = explicit ? [explicit] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'prometheus'));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return { bin: file };
    } catch {
      // next
    }
  }
  return { reason: explicit ? `FIREBREAK_PROMETHEUS_BIN=${explicit} is not an executable` : 'no prometheus binary on PATH' };
}

/**
 * For a suite's `before`: the Prometheus binary, or a printed skip when there is none; with
 * FIREBREAK_REQUIRE_PROMETHEUS=1 (as in CI) a missing binary fails instead.
 */
export function requirePrometheus(ctx: Mocha.Context): string {
  const found = findPrometheus();
  if ('bin' in found) return found.bin;
  if (process.env[REQUIRE] === '1') throw new Error(`${REQUIRE}=1 but ${found.reason}`);
  console.log(`      skipping real Prometheus tests: ${found.reason} (apt-get install prometheus; set ${REQUIRE}=1 to fail instead)`);
  ctx.skip();
  throw new Error('unreachable');
}

/**
 * Starts Prometheus with a generated configuration scraping `targets` every `scrapeInterval`, and
 * returns once it is ready and has scraped every target successfully. Its discovery hands new targets
 * to the scrapers at most every 5 s, so that takes 5-7 s.
 */
export async function startPrometheus(
  bin: string,
  targets: readonly ScrapeTarget[],
  opts: { scrapeIntervalMs?: number; readyTimeoutMs?: number; targetsTimeoutMs?: number } = {},
): Promise<RealPrometheus> {
  const scrapeIntervalMs = opts.scrapeIntervalMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-prometheus-'));
  const interval = `${scrapeIntervalMs}ms`;
  // JSON is YAML: the configuration needs no YAML writer.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: targets.map((t) => ({ job_name: t.job, metrics_path: t.metricsPath ?? '/metrics', static_configs: [{ targets: [t.address] }] })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  let lastError: Error | undefined;
  // The port was free a moment ago; another process may take it first, so a failed bind is tried again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const server = handle(child, dir, `http://127.0.0.1:${port}`, scrapeIntervalMs);
    try {
      await waitUntil(async () => server.exited() || (await answers(`${server.url}/-/ready`)), opts.readyTimeoutMs ?? 20_000, `Prometheus ready on ${server.url}`);
      if (server.exited()) throw new Error(`Prometheus exited at start: ${server.log()}`);
      await waitUntil(async () => server.exited() || (await targetsUp(server.url, targets)), opts.targetsTimeoutMs ?? 20_000, `Prometheus to scrape ${targets.map((t) => t.job).join(', ')}`);
      if (server.exited()) throw new Error(`Prometheus exited: ${server.log()}`);
      server.version = await buildVersion(server.url);
      return server;
    } catch (err) {
      lastError = new Error(`${(err as Error).message}; Prometheus logged: ${server.log() || '(nothing)'}`);
      await server.stop(false);
      if (!/address already in use/.test(server.log())) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError!;
}

function handle(child: ChildProcess, dir: string, url: string, scrapeIntervalMs: number): RealPrometheus & { exited(): boolean; stop(removeDir?: boolean): Promise<void> } {
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-LOG_LIMIT);
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  // Should the test process end without its after hook (mocha --exit, an uncaught error), the server
  // goes with it rather than stay behind.
  const orphanGuard = (): void => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.removeListener('exit', orphanGuard);
      resolve();
    }),
  );
  return {
    url,
    version: '',
    scrapeIntervalMs,
    log: () => log.trim(),
    exited: () => !running(),
    async stop(removeDir = true) {
      if (running()) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(killer);
      }
      if (removeDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

// Every target of every job scraped at least once, and healthy.
async function targetsUp(url: string, targets: readonly ScrapeTarget[]): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { data?: { activeTargets?: { labels: Record<string, string>; health: string }[] } };
    const active = body.data?.activeTargets ?? [];
    return targets.every((t) => active.some((a) => a.labels.job === t.job && a.labels.instance === t.address && a.health === 'up'));
  } catch {
    return false;
  }
}

async function buildVersion(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/status/buildinfo`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { data?: { version?: string } };
  return body.data?.version ?? 'unknown';
}
