import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { silentLogger } from '../log.js';
import { startProxyServer } from '../proxy/index.js';
import { loadExperimentFile } from '../experiment/loader.js';
import { formatIssue } from '../experiment/issues.js';
import { RunEvents } from '../engine/events.js';
import { runExperiment } from '../engine/run.js';
import { writeJournal } from '../engine/journal.js';
import { Ledger, openFaultsOf } from '../engine/ledger.js';
import { forgetFaults } from '../engine/recover.js';
import type { Interruption } from '../engine/context.js';
import { attachProgress } from '../report/progress.js';
import { startDependency, startStorefront } from './storefront.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DemoRow {
  file: string;
  title: string;
  expected?: string;
  status: string;
  exitCode: number;
  reason: string;
  journal: string;
}

export interface DemoOptions {
  experimentsDir?: string;
  outDir?: string;
  logger?: Logger;
  interruption?: Interruption;
  ledgerPath?: string;
  progress?: import('node:stream').Writable & { isTTY?: boolean };
  /** Only the files whose name contains one of these. */
  only?: string[];
}

/**
 * The embedded demo: in one process, two dependencies, the embedded proxy in front of them (cohort mode,
 * so only canary users are harmed), a storefront that calls them, then every `experiments/demo-*.yaml`
 * run against it. No Docker, no cluster, only loopback sockets.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoRow[]> {
  const logger = opts.logger ?? silentLogger();
  const dir = opts.experimentsDir ?? join(PACKAGE_ROOT, 'experiments');
  const outDir = opts.outDir ?? join('.firebreak', 'demo');
  const files = readdirSync(dir)
    .filter((f) => /^demo-.*\.ya?ml$/.test(f))
    .filter((f) => !opts.only?.length || opts.only.some((o) => f.includes(o)))
    .sort(byDemoOrder)
    .map((f) => join(dir, f));
  const ledgerPath = opts.ledgerPath ?? join(outDir, 'ledger.jsonl');
  // Only the demo's own ledger: a ledger passed in may hold other runs' faults, which recover handles.
  if (!opts.ledgerPath) forgetEarlierDemo(ledgerPath);
  const closers: (() => Promise<void>)[] = [];
  const rows: DemoRow[] = [];
  try {
    const recommendations = await startDependency('recommendations', { delayMs: 2 });
    closers.push(() => recommendations.close());
    const payments = await startDependency('payments', { delayMs: 3 });
    closers.push(() => payments.close());
    const cohort = { mode: 'http', key: 'header:x-user-id', canary: 0.2, control: 0.2, salt: 'storefront-demo' };
    const proxy = await startProxyServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      proxies: [
        { name: 'recommendations', listen: '127.0.0.1:0', upstream: `127.0.0.1:${recommendations.port}`, cohort },
        { name: 'payments', listen: '127.0.0.1:0', upstream: `127.0.0.1:${payments.port}`, cohort },
      ],
    });
    closers.push(() => proxy.close());
    const listen = (name: string): string => `http://${proxy.proxy(name)!.toJSON().listen}`;
    const storefront = await startStorefront({ recommendationsUrl: listen('recommendations'), paymentsUrl: listen('payments') });
    closers.push(() => storefront.close());
    for (const file of files) {
      if (opts.interruption?.soft.signal.aborted) break;
      const loaded = loadExperimentFile(file, { vars: { storefront_url: storefront.url, proxy_url: proxy.url } });
      if (!loaded.experiment) throw new Error(`${file} is invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
      const events = new RunEvents();
      const detach = opts.progress ? attachProgress(events, opts.progress) : () => undefined;
      try {
        const result = await runExperiment(loaded.experiment, {
          logger, events, given: loaded.given,
          ...(opts.interruption ? { interruption: opts.interruption } : {}),
          ledgerPath,
        });
        const journal = join(outDir, `${file.split('/').pop()!.replace(/\.ya?ml$/, '')}.json`);
        writeJournal(journal, result.journal);
        const expected = loaded.experiment.tags.find((t) => t.startsWith('expect:'))?.slice(7);
        rows.push({ file, title: loaded.experiment.title, ...(expected ? { expected } : {}), status: result.status, exitCode: result.exitCode, reason: result.journal.verdict.reason, journal });
      } finally {
        detach();
      }
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
  return rows;
}

/**
 * The demo's systems live in the demo's own process: whatever a killed demo left in its ledger died
 * with it. Such entries are closed as forgotten, so a new demo (and only the demo's ledger) starts clean.
 */
function forgetEarlierDemo(ledgerPath: string): void {
  const open = existsSync(ledgerPath) ? openFaultsOf(Ledger.readEntries(ledgerPath)) : [];
  if (open.length) forgetFaults(open.map((o) => o.id), { ledgerPath, reason: 'the demo that applied it ended; its proxy lived in that process' });
}

/** held, deviated, aborted: the story the demo tells, in that order. */
function byDemoOrder(a: string, b: string): number {
  const order = ['recommendations-latency', 'payments-errors', 'payments-stall'];
  const rank = (f: string): number => {
    const i = order.findIndex((o) => f.includes(o));
    return i < 0 ? order.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}
