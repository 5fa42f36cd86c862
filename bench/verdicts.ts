/**
 * Verdict truth over many runs: how often does a run without harm read `deviated` or `aborted`
 * (false deviation, false abort), how often `inconclusive`, and down to which canary share is each
 * true harm still caught (never read as `held`)?
 *
 *   node --import tsx bench/verdicts.ts [--aa 100] [--repeats 3] [--shares 0.25,0.05] [--quick]
 *
 * Runs the verdict-truth suite's experiments (test/verdicts/scenarios.ts) against its known system
 * (test/verdicts/system.ts, all on 127.0.0.1), one run at a time. Results are printed and written to
 * bench/results/verdicts.json. About 25 s per run; the default (100 A/A runs and 3 runs of each harm
 * at five canary shares) takes about 60 minutes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineExperiment } from '../src/experiment/loader.js';
import { runExperiment } from '../src/engine/run.js';
import type { Status } from '../src/engine/journal.js';
import { wilsonInterval } from '../src/analysis/stats/index.js';
import { tempDir } from '../test/helpers/cli.js';
import { SCENARIOS, type Scenario } from '../test/verdicts/scenarios.js';
import { COHORT, startKnownSystem, type KnownSystem } from '../test/verdicts/system.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const AA_RUNS = arg('--aa', quick ? 3 : 100);
const REPEATS = arg('--repeats', quick ? 1 : 3);
const sharesArg = args.indexOf('--shares');
const SHARES = sharesArg >= 0 ? args[sharesArg + 1]!.split(',').map(Number) : quick ? [0.25, 0.05] : [0.25, 0.1, 0.05, 0.02, 0.01];
const HARMS = ['slow dependency, no fallback', 'failing dependency (30% of canary calls), no fallback', 'stalled dependency, no fallback'];

interface Tally {
  runs: number;
  byStatus: Partial<Record<Status, number>>;
}

async function runMany(sys: KnownSystem, s: Scenario, runs: number, share: number | undefined, ledger: string): Promise<Tally> {
  const t: Tally = { runs: 0, byStatus: {} };
  for (let i = 0; i < runs; i++) {
    const e = defineExperiment(s.experiment(sys, share === undefined ? {} : { share }) as never);
    const r = await runExperiment(e, { ledgerPath: ledger });
    t.runs++;
    t.byStatus[r.status] = (t.byStatus[r.status] ?? 0) + 1;
    process.stdout.write(`  ${s.name}${share !== undefined ? ` @ ${share * 100}%` : ''} #${i + 1}: ${r.status}\n`);
  }
  return t;
}

/** Gives the known system's running cohort proxy these canary and control shares, through its API. */
async function setProxyShares(sys: KnownSystem, share: number): Promise<void> {
  const res = await fetch(`${sys.proxyUrl}/proxies/dep`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cohort: { ...COHORT, canary: share, control: share } }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`could not set the proxy's shares to ${share}: HTTP ${res.status} ${await res.text()}`);
}

function rate(k: number, n: number): { rate: number; ci95: [number, number] } {
  const ci = n > 0 ? wilsonInterval(k, n, 0.95) : { lower: 0, upper: 1 };
  return { rate: n > 0 ? k / n : 0, ci95: [round(ci.lower), round(ci.upper)] };
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

async function main(): Promise<void> {
  const load = os.loadavg();
  const tmp = tempDir('firebreak-bench-');
  const ledger = join(tmp.dir, 'ledger.jsonl');
  const sys = await startKnownSystem();
  const started = Date.now();
  try {
    const aa = SCENARIOS.filter((s) => s.name.startsWith('A/A'));
    const aaResults: Record<string, Tally> = {};
    for (const s of aa) aaResults[s.name] = await runMany(sys, s, Math.ceil(AA_RUNS / aa.length), undefined, ledger);
    const all = Object.values(aaResults).reduce((a, b) => ({ runs: a.runs + b.runs, byStatus: merge(a.byStatus, b.byStatus) }), { runs: 0, byStatus: {} } as Tally);
    const falseDeviation = all.byStatus.deviated ?? 0;
    const falseAbort = all.byStatus.aborted ?? 0;
    const summaryAA = {
      runs: all.runs, byStatus: all.byStatus,
      falseDeviation: rate(falseDeviation, all.runs), falseAbort: rate(falseAbort, all.runs),
      falseDeviationOrAbort: rate(falseDeviation + falseAbort, all.runs), inconclusive: rate(all.byStatus.inconclusive ?? 0, all.runs),
      target: 'false deviation + false abort <= 2%',
      met: (falseDeviation + falseAbort) / Math.max(1, all.runs) <= 0.02,
    };
    const harms: Record<string, Record<string, Tally & { detected: number; heldFalsely: number }>> = {};
    for (const name of HARMS) {
      const s = SCENARIOS.find((x) => x.name === name)!;
      harms[name] = {};
      for (const share of SHARES) {
        // The running proxy must cut the cohorts the experiment declares (a mismatch is refused at plan time).
        await setProxyShares(sys, share);
        const t = await runMany(sys, s, REPEATS, share, ledger);
        harms[name][`${share * 100}%`] = { ...t, detected: (t.byStatus.deviated ?? 0) + (t.byStatus.aborted ?? 0), heldFalsely: t.byStatus.held ?? 0 };
      }
    }
    await setProxyShares(sys, COHORT.canary);
    const smallest = Object.fromEntries(
      Object.entries(harms).map(([name, byShare]) => {
        const caught = Object.entries(byShare).filter(([, t]) => t.detected === t.runs).map(([share]) => share);
        return [name, caught.length ? caught[caught.length - 1] : 'none'];
      }),
    );
    const everHeld = Object.values(harms).flatMap((b) => Object.values(b)).reduce((n, t) => n + t.heldFalsely, 0);
    const result = {
      when: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavgBefore: load, loadavgAfter: os.loadavg(),
      minutes: round((Date.now() - started) / 60_000),
      setup: 'test/verdicts/scenarios.ts against test/verdicts/system.ts; phases 2s/6s/4s, tick 500ms, 400 requests/s, canary and control 25% each unless stated',
      aa: summaryAA,
      harms,
      smallestShareAlwaysDetected: smallest,
      harmEverReadHeld: everHeld,
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), 'results', quick ? 'verdicts-quick.json' : 'verdicts.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`\nA/A: ${all.runs} runs, ${JSON.stringify(all.byStatus)}; false deviation + abort ${pct(summaryAA.falseDeviationOrAbort.rate)} (95% CI ${pct(summaryAA.falseDeviationOrAbort.ci95[0])}-${pct(summaryAA.falseDeviationOrAbort.ci95[1])}), inconclusive ${pct(summaryAA.inconclusive.rate)}\n`);
    process.stdout.write(`smallest canary share always detected: ${JSON.stringify(smallest)}; a true harm read held ${everHeld} time(s)\n`);
    process.stdout.write(`written to ${out}\n`);
  } finally {
    await sys.close();
    tmp.cleanup();
  }
}

function merge(a: Partial<Record<Status, number>>, b: Partial<Record<Status, number>>): Partial<Record<Status, number>> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b) as [Status, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}

function pct(v: number): string {
  return `${Math.round(v * 1000) / 10}%`;
}

await main();
