import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { runCli, startCli, waitCli, waitFor } from '../../test/helpers/cli.js';
import { DockerTestbed, connectTestDocker, ensureTestImage } from '../../test/helpers/docker.js';
import { startTarget, type TargetServer } from '../../test/helpers/http-target.js';

export type StopSignal = 'SIGKILL' | 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** One kill: when it landed, what the run had done by then, and what was left afterwards. */
export interface KillOutcome {
  signal: StopSignal;
  atMs: number;
  /** What the ledger showed when the signal was sent: nothing yet, intents, applied faults, reverts. */
  stage: 'not started' | 'intent' | 'applied' | 'reverting' | 'done';
  exitCode: number | null;
  /** For SIGINT/SIGTERM/SIGHUP once the run trapped signals: exit 130 and an `interrupted` journal. */
  interrupted?: boolean;
  /** Signal to the last revert written, when the run reverted by itself. */
  revertMs?: number;
  /** Faults found after recover: toxics, paused or squeezed containers, the process fault's file, open entries. */
  faultsLeft: string[];
}

export interface KillReport {
  tried: number;
  bySignal: Record<string, number>;
  byStage: Record<string, number>;
  faultsLeft: number;
  /** Runs that had trapped signals when a catchable one arrived. */
  interruptedRuns: number;
  /** Of those, the ones that did not exit 130 with an `interrupted` journal. */
  badInterrupts: number;
  /** Of those, the ones whose reverts took longer than 2 s after the signal. */
  slowReverts: number;
  maxRevertMs: number;
  docker: boolean;
  failures: KillOutcome[];
}

interface Rig {
  dir: string;
  api: string;
  proxy: ReturnType<typeof startCli>;
  target: TargetServer;
  bed?: DockerTestbed;
  containers: string[];
  experiment: string;
  flag: string;
  env: Record<string, string>;
}

/**
 * A separately started `firebreak proxy` with one proxy, two labelled busybox containers (when an
 * engine answers) and an experiment with several faults at once: two toxics on that proxy, a pause
 * and a CPU squeeze on each container, and a process fault; faults start at staggered offsets so a
 * kill can land between any two applies.
 */
export async function setUpRig(dir: string, opts: { docker: boolean }): Promise<Rig> {
  const target = await startTarget();
  const config = join(dir, 'proxies.json');
  writeFileSync(config, JSON.stringify([{ name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}` }]));
  const proxy = startCli(['proxy', '--port', '0', '--config', config], { env: { FIREBREAK_LOG_LEVEL: 'silent' } });
  await waitFor('the proxy API', () => proxy.out.stdout.includes('\n') || proxy.exitCode !== null, 30_000);
  const api = proxy.out.stdout.split('\n')[0]!;
  const rig: Rig = { dir, api, proxy, target, containers: [], experiment: join(dir, 'campaign.yaml'), flag: join(dir, 'process-fault'), env: { FIREBREAK_STATE_DIR: join(dir, 'state') } };
  let label = '';
  if (opts.docker) {
    const bed = new DockerTestbed();
    bed.connection = await connectTestDocker();
    await ensureTestImage(bed.docker);
    rig.bed = bed;
    label = `campaign-${bed.runId}`;
    for (const name of ['a', 'b']) rig.containers.push((await bed.run({ name: `campaign-${name}`, cmd: ['sleep', '3600'], labels: { 'firebreak.campaign': label } })).id);
  }
  writeFileSync(rig.experiment, [
    'title: Campaign, several faults at once',
    'target:',
    `  proxy: { url: "${api}" }`,
    ...(opts.docker ? ['cohort:', `  targets: { driver: docker, selector: { labels: { firebreak.campaign: ${label} } }, mode: all }`] : []),
    'phases: { before: 300ms, during: 1500ms, after: 300ms, tick: 100ms, callTimeout: 5s }',
    'faults:',
    '  - { type: proxy.latency, proxy: web, latency: 200ms }',
    `  - { type: process, apply: "touch ${rig.flag}", revert: "rm -f ${rig.flag}", start: 200ms }`,
    '  - { type: proxy.timeout, proxy: web, timeout: 0, stream: upstream, start: 400ms }',
    ...(opts.docker ? ['  - { type: docker.pause, start: 600ms }', '  - { type: docker.cpu, cpus: 0.5, start: 800ms }'] : []),
    '',
  ].join('\n'));
  return rig;
}

export async function tearDownRig(rig: Rig): Promise<void> {
  rig.proxy.kill('SIGTERM');
  await waitCli(rig.proxy, 15_000).catch(() => rig.proxy.kill('SIGKILL'));
  await rig.target.close();
  await rig.bed?.cleanup();
}

/** Everything a fault of the experiment could have left behind, as a list of findings (empty: nothing). */
async function leftovers(rig: Rig, ledger: string): Promise<string[]> {
  const found: string[] = [];
  const proxies = (await (await fetch(`${rig.api}/proxies`, { signal: AbortSignal.timeout(5_000) })).json()) as Record<string, { enabled: boolean; toxics: { name: string }[] }>;
  for (const [name, p] of Object.entries(proxies)) {
    for (const t of p.toxics) found.push(`toxic ${t.name} on ${name}`);
    if (!p.enabled) found.push(`proxy ${name} disabled`);
  }
  for (const id of rig.containers) {
    const info = await rig.bed!.inspect(id);
    if (info.State.Paused) found.push(`container ${id.slice(0, 12)} paused`);
    if ((info.HostConfig.CpuQuota ?? 0) > 0 || (info.HostConfig.NanoCpus ?? 0) > 0) found.push(`container ${id.slice(0, 12)} squeezed (quota ${info.HostConfig.CpuQuota})`);
  }
  if (existsSync(rig.flag)) found.push('process fault file present');
  for (const o of openFaultsOf(Ledger.readEntries(ledger))) found.push(`open ledger entry ${o.id} (${o.fault})`);
  return found;
}

function stageOf(ledger: string): KillOutcome['stage'] {
  const events = existsSync(ledger) ? Ledger.readEntries(ledger).map((e) => e.event) : [];
  if (events.length === 0) return 'not started';
  if (events.includes('reverted')) return openFaultsOf(Ledger.readEntries(ledger)).length ? 'reverting' : 'done';
  return events.includes('applied') ? 'applied' : 'intent';
}

/** One run of the experiment, stopped by `signal` `atMs` after it started, then recovered and checked. */
export async function killOnce(rig: Rig, i: number, signal: StopSignal, atMs: number): Promise<KillOutcome> {
  const ledger = join(rig.dir, `ledger-${i}.jsonl`);
  const journal = join(rig.dir, `journal-${i}.json`);
  const child = startCli(['--ledger', ledger, 'run', rig.experiment, '--journal', journal, '-q'], { cwd: rig.dir, env: rig.env });
  const done = waitCli(child, 120_000);
  await Promise.race([new Promise((r) => setTimeout(r, atMs)), done]);
  const stage = stageOf(ledger);
  const sentAt = Date.now();
  child.kill(signal);
  const r = await done;
  const outcome: KillOutcome = { signal, atMs, stage, exitCode: r.code, faultsLeft: [] };
  // Handled (not killed by it, not finished before it): the run must say interrupted and have reverted.
  if (signal !== 'SIGKILL' && r.signal === null && r.code !== 0) {
    const j = existsSync(journal) ? (JSON.parse(readFileSync(journal, 'utf8')) as { verdict: { status: string } }) : undefined;
    outcome.interrupted = r.code === 130 && j?.verdict.status === 'interrupted';
    const reverts = Ledger.readEntries(ledger).filter((e) => e.event === 'reverted').map((e) => Date.parse(e.at));
    if (reverts.length) outcome.revertMs = Math.max(0, Math.max(...reverts) - sentAt);
    // Left behind by the run itself, before any recover: a trapped signal must leave nothing.
    outcome.faultsLeft.push(...(await leftovers(rig, ledger)).map((f) => `before recover: ${f}`));
  }
  const rec = await runCli(['--ledger', ledger, 'recover'], { cwd: rig.dir, env: rig.env, timeoutMs: 120_000 });
  if (rec.code !== 0) outcome.faultsLeft.push(`recover exited ${rec.code}: ${rec.stderr.slice(0, 300)}`);
  outcome.faultsLeft.push(...(await leftovers(rig, ledger)));
  for (const f of [ledger, `${ledger}.reserve`, journal]) rmSync(f, { force: true });
  return outcome;
}

/**
 * Runs `plan` kills (each a signal and a moment within `spanMs` of the start, drawn from a fixed-seed
 * generator so a campaign replays) and sums them up.
 */
export async function killCampaign(rig: Rig, plan: { signal: StopSignal; atMs: number }[], onOutcome?: (o: KillOutcome, i: number) => void): Promise<KillReport> {
  const report: KillReport = { tried: 0, bySignal: {}, byStage: {}, faultsLeft: 0, interruptedRuns: 0, badInterrupts: 0, slowReverts: 0, maxRevertMs: 0, docker: rig.containers.length > 0, failures: [] };
  for (const [i, k] of plan.entries()) {
    const o = await killOnce(rig, i, k.signal, k.atMs);
    report.tried++;
    report.bySignal[k.signal] = (report.bySignal[k.signal] ?? 0) + 1;
    report.byStage[o.stage] = (report.byStage[o.stage] ?? 0) + 1;
    report.faultsLeft += o.faultsLeft.length;
    if (o.interrupted !== undefined) {
      report.interruptedRuns++;
      if (!o.interrupted) report.badInterrupts++;
      if ((o.revertMs ?? 0) > 2_000) report.slowReverts++;
      report.maxRevertMs = Math.max(report.maxRevertMs, o.revertMs ?? 0);
    }
    if ((o.faultsLeft.length || o.interrupted === false || (o.revertMs ?? 0) > 2_000) && report.failures.length < 20) report.failures.push(o);
    onOutcome?.(o, i);
  }
  return report;
}
