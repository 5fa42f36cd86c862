import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { silentLogger } from '../log.js';
import { startProxyServer } from '../proxy/index.js';
import { formatIssue } from '../experiment/issues.js';
import { RunEvents } from '../engine/events.js';
import { Ledger, openFaultsOf } from '../engine/ledger.js';
import { forgetFaults } from '../engine/recover.js';
import type { Interruption } from '../engine/context.js';
import { History } from '../history/history.js';
import { attachProgress } from '../report/progress.js';
import { reportSuiteOf } from '../report/model.js';
import { writeReports } from '../report/write.js';
import { loadSuiteFile } from '../suite/load.js';
import { loadSuiteExperiments, runSuite, type SuiteResult } from '../suite/run.js';
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

export interface DemoResult {
  rows: DemoRow[];
  suite: SuiteResult;
  /** The self-contained HTML report of the run. */
  report: string;
}

export interface DemoOptions {
  experimentsDir?: string;
  outDir?: string;
  logger?: Logger;
  interruption?: Interruption;
  ledgerPath?: string;
  progress?: import('node:stream').Writable & { isTTY?: boolean };
  /** Only the experiments whose file name contains one of these. */
  only?: string[];
}

/**
 * The embedded demo: in one process, two dependencies, the embedded proxy in front of them (cohort mode,
 * so only canary users are harmed), a storefront that calls them, then the suite
 * `experiments/demo.suite.yaml` run against it, each experiment against the verdict it expects, and an
 * HTML report of it all. No Docker, no cluster, only loopback sockets.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const logger = opts.logger ?? silentLogger();
  const dir = opts.experimentsDir ?? join(PACKAGE_ROOT, 'experiments');
  const outDir = opts.outDir ?? join('.firebreak', 'demo');
  const loaded = loadSuiteFile(join(dir, 'demo.suite.yaml'));
  if (!loaded.suite) throw new Error(`the demo suite is invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
  const suite = loaded.suite;
  if (opts.only?.length) suite.experiments = suite.experiments.filter((e) => opts.only!.some((o) => basename(e.path).includes(o)));
  const ledgerPath = opts.ledgerPath ?? join(outDir, 'ledger.jsonl');
  // Only the demo's own ledger: a ledger passed in may hold other runs' faults, which recover handles.
  if (!opts.ledgerPath) forgetEarlierDemo(ledgerPath);
  const history = new History(join(outDir, 'history.jsonl'));
  const closers: (() => Promise<void>)[] = [];
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
    suite.vars = { ...suite.vars, storefront_url: storefront.url, proxy_url: proxy.url };
    const experiments = loadSuiteExperiments(suite);
    if (experiments.issues.length) throw new Error(`demo experiments are invalid:\n${experiments.issues.map(formatIssue).join('\n')}`);
    const result = await runSuite(suite, experiments.loaded, {
      logger, ledgerPath, history, journalDir: outDir,
      ...(opts.interruption ? { interruption: opts.interruption } : {}),
      journalPathFor: (entry) => join(outDir, `${basename(entry.path).replace(/\.ya?ml$/, '')}.json`),
      eventsFor: () => {
        const events = new RunEvents();
        if (opts.progress) attachProgress(events, opts.progress);
        return events;
      },
    });
    const report = join(outDir, 'report.html');
    writeReports({ title: 'firebreak demo: the storefront', generatedAt: new Date().toISOString(), suites: [reportSuiteOf(result)], history: history.read() }, [{ format: 'html', path: report }]);
    const rows = result.outcomes.map((o) => ({
      file: o.entry.path, title: o.title, expected: o.entry.expect.join('/'), status: o.status ?? 'not run', exitCode: o.journal?.verdict.exitCode ?? 0, reason: o.journal?.verdict.reason ?? o.reason, journal: o.journalPath ?? '',
    }));
    return { rows, suite: result, report };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

/**
 * The demo's systems live in the demo's own process: whatever a killed demo left in its ledger died
 * with it. Such entries are closed as forgotten, so a new demo (and only the demo's ledger) starts clean.
 */
function forgetEarlierDemo(ledgerPath: string): void {
  const open = existsSync(ledgerPath) ? openFaultsOf(Ledger.readEntries(ledgerPath)) : [];
  if (open.length) forgetFaults(open.map((o) => o.id), { ledgerPath, reason: 'the demo that applied it ended; its proxy lived in that process' });
}
