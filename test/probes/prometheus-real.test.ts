import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal } from '../../src/engine/journal.js';
import { collectIssues } from '../../src/experiment/issues.js';
import { loadProbeDefinition } from '../../src/experiment/probe-refs.js';
import { silentLogger } from '../../src/log.js';
import { LoadGenerator, parseLoadAttrs } from '../../src/probes/load/index.js';
import { prometheusProbe, prometheusSignalsProbe, type PrometheusQueryValue } from '../../src/probes/prometheus/index.js';
import type { ProbeContext } from '../../src/probes/types.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import type { CohortName, IntervalByCohort, SignalSource } from '../../src/signals/types.js';
import { sleep } from '../../src/util/abort.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';
import { startInstrumentedService, type InstrumentedService } from '../helpers/instrumented-service.js';
import { requirePrometheus, startPrometheus, type RealPrometheus } from '../helpers/prometheus.js';
import { addToxic, api, removeToxic } from '../proxy/helpers/fixture.js';

// The cohorts of experiments/prometheus-inventory-latency.yaml, which the last test runs through the CLI.
const COHORT = { mode: 'http', key: 'header:x-user-id', canary: 0.5, control: 0.5, salt: 'prometheus-example' };
const RATE = 60;
const LATENCY_MS = 200;
const ABORT_SHARE = 0.25;
const WARM_MS = 4000;
const MEASURE_MS = 8000;
const WINDOW = `${MEASURE_MS / 1000}s`;

type Counts = Record<'canary' | 'control', { requests: number; errors: number }>;

function probeContext(): ProbeContext {
  return { signal: new AbortController().signal, logger: silentLogger(), runId: 'prometheus-real', timeoutMs: 5000, connection: null, baseDir: ROOT };
}

/** Runs the `prometheus` value probe, parsed from its attributes as an experiment would. */
async function query(attrs: Record<string, unknown>): Promise<PrometheusQueryValue> {
  const issues = collectIssues();
  const parsed = prometheusProbe.parse(attrs, issues);
  assert.deepEqual(issues.issues, []);
  return (await prometheusProbe.run(probeContext(), parsed!)) as PrometheusQueryValue;
}

function signalsSource(attrs: Record<string, unknown>): SignalSource {
  const issues = collectIssues();
  const parsed = prometheusSignalsProbe.parse(attrs, issues);
  assert.deepEqual(issues.issues, []);
  return prometheusSignalsProbe.source({ logger: silentLogger(), runId: 'prometheus-real', timeoutMs: 5000, connection: null, baseDir: ROOT }, parsed!);
}

/** The value of the series whose `cohort` label is `cohort`. */
function byCohort(v: PrometheusQueryValue, cohort: CohortName): number {
  const s = v.series.find((x) => x.metric.cohort === cohort);
  assert.ok(s, `no ${cohort} series in ${JSON.stringify(v.series)}`);
  return s.value!;
}

// prom-client's default buckets, which the service's latency histogram uses; the proxy's have the same
// bounds up to 10 s. histogram_quantile interpolates inside a bucket, so a quantile is checked by bucket.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function bucketOf(seconds: number): number {
  const i = BUCKETS.findIndex((b) => seconds <= b);
  return i === -1 ? BUCKETS.length : i;
}

/** The nearest-rank quantile of what the service served to `cohort` on /items in (from, to]. */
function servedQuantile(shop: InstrumentedService, cohort: CohortName, from: number, to: number, q: number): number {
  const s = served(shop, cohort, from, to).map((r) => r.seconds).sort((a, b) => a - b);
  assert.ok(s.length > 0, `the service served ${cohort} nothing in the window`);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

function served(shop: InstrumentedService, cohort: CohortName, from: number, to: number) {
  return shop.served().filter((r) => r.route === '/items' && r.cohort === cohort && r.at > from && r.at <= to);
}

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

async function proxyCounts(proxy: ProxyServer): Promise<Counts> {
  const r = await api(proxy, 'GET', '/proxies/inventory/signals');
  const c = r.body.cohorts;
  return { canary: { requests: c.canary.requests, errors: c.canary.errors }, control: { requests: c.control.requests, errors: c.control.errors } };
}

function diff(a: Counts, b: Counts): Counts {
  return {
    canary: { requests: b.canary.requests - a.canary.requests, errors: b.canary.errors - a.canary.errors },
    control: { requests: b.control.requests - a.control.requests, errors: b.control.errors - a.control.errors },
  };
}

// Prometheus, the embedded proxy and a prom-client service, all real, all on 127.0.0.1: traffic from
// firebreak's load generator goes to the service, whose calls to its dependency pass the proxy.
describe('Prometheus probes against a real Prometheus', function () {
  this.timeout(30_000);
  let prom: RealPrometheus;
  let inventory: TargetServer;
  let proxy: ProxyServer;
  let shop: InstrumentedService;

  before(async function () {
    this.timeout(60_000);
    const bin = requirePrometheus(this);
    inventory = await startTarget(() => ({ delayMs: 2 }));
    proxy = await startProxyServer({
      port: 0,
      logger: silentLogger(),
      proxies: [{ name: 'inventory', listen: '127.0.0.1:0', upstream: `127.0.0.1:${inventory.port}`, cohort: COHORT }],
    });
    shop = await startInstrumentedService({ dependencyUrl: `http://${proxy.proxy('inventory')!.toJSON().listen}`, cohort: COHORT });
    prom = await startPrometheus(bin, [
      { job: 'firebreak-proxy', address: `127.0.0.1:${proxy.port}` },
      { job: 'shop', address: shop.address },
    ]);
    console.log(`      (Prometheus ${prom.version} on ${prom.url})`);
  });

  after(async function () {
    this.timeout(20_000);
    await prom?.stop();
    await shop?.close();
    await proxy?.close();
    await inventory?.close();
  });

  it('scrapes the proxy and the service: up, with the label names the queries use', async () => {
    const up = await query({ url: prom.url, query: 'up' });
    assert.deepEqual(up.series.map((s) => [s.metric.job, s.value]).sort(), [['firebreak-proxy', 1], ['shop', 1]]);
    const names = await query({ url: prom.url, query: 'count by (__name__) ({job="firebreak-proxy"})' });
    const exposed = names.series.map((s) => s.metric.__name__);
    for (const name of ['toxiproxy_proxy_received_bytes_total', 'firebreak_proxy_connections_total', 'firebreak_proxy_connections_active']) {
      assert.ok(exposed.includes(name), `${name} not in ${exposed.join(', ')}`);
    }
  });

  describe('with traffic through a latency and an error fault on the canary', function () {
    let counts: { generator: Counts; proxy: Counts };
    let golden: IntervalByCohort;
    let proxySignals: IntervalByCohort;
    let measuredAt: number;
    let measuredMs: number;

    before(async function () {
      this.timeout(60_000);
      await addToxic(proxy, 'inventory', { name: 'slow', type: 'latency', attributes: { latency: LATENCY_MS, cohort: 'canary' } });
      await addToxic(proxy, 'inventory', { name: 'fail', type: 'http_abort', toxicity: ABORT_SHARE, attributes: { status: 503, cohort: 'canary' } });
      const issues = collectIssues();
      const attrs = parseLoadAttrs(
        { url: shop.url, requests: [{ method: 'GET', path: '/items' }], rate: RATE, timeout: '2s', warmup: 0, duration: `${(WARM_MS + MEASURE_MS) / 1000 + 2}s`, cohort: { key: COHORT.key, salt: COHORT.salt, canary: COHORT.canary, control: COHORT.control } },
        issues,
      );
      assert.deepEqual(issues.issues, []);
      const generator = new LoadGenerator(attrs!, { name: 'shop' });
      // The definition as an experiment's `use:` takes it: its type picks the probe, the rest are attributes.
      const { type, ...def } = loadProbeDefinition('prometheus-golden-signals', ROOT, issues)!;
      assert.deepEqual(issues.issues, []);
      assert.equal(type, 'prometheus.signals');
      const goldenSource = signalsSource({ ...def, url: prom.url, minWindow: '2s' });
      const proxySource = signalsSource({
        url: prom.url,
        minWindow: '2s',
        queries: Object.fromEntries(
          (['canary', 'control'] as const).map((c) => [
            c,
            {
              latencyP99: `histogram_quantile(0.99, sum by (le) (rate(firebreak_proxy_request_duration_seconds_bucket{proxy="inventory", cohort="${c}"}[$window])))`,
              requestRate: `sum(rate(firebreak_proxy_requests_total{proxy="inventory", cohort="${c}"}[$window]))`,
              errorRate: `sum(rate(firebreak_proxy_request_errors_total{proxy="inventory", cohort="${c}"}[$window]))`,
            },
          ]),
        ),
      });
      const ctx = { signal: new AbortController().signal, logger: silentLogger() };
      await generator.start(ctx);
      try {
        await sleep(WARM_MS);
        // From here on every series exists and has been scraped: rates over the measured span are whole.
        await generator.collect();
        const before = await proxyCounts(proxy);
        await goldenSource.start(ctx);
        await proxySource.start(ctx);
        const t0 = Date.now();
        await sleep(MEASURE_MS);
        [golden, proxySignals] = await Promise.all([goldenSource.collect(), proxySource.collect()]);
        measuredAt = Date.now();
        measuredMs = measuredAt - t0;
        const measured = await generator.collect();
        counts = {
          generator: {
            canary: { requests: measured.canary!.requests, errors: measured.canary!.errors },
            control: { requests: measured.control!.requests, errors: measured.control!.errors },
          },
          proxy: diff(before, await proxyCounts(proxy)),
        };
      } finally {
        await generator.stop();
        await removeToxic(proxy, 'inventory', 'slow');
        await removeToxic(proxy, 'inventory', 'fail');
      }
      // The last scrape of the measured span lands within one scrape interval.
      await sleep(prom.scrapeIntervalMs + 500);
    });

    it('the ready golden-signal queries (probes/prometheus-golden-signals.yaml) read the known traffic, errors and latency', () => {
      const seconds = measuredMs / 1000;
      // The window $window became: the time since the source started, in whole seconds.
      const from = measuredAt - Math.ceil(measuredMs / 1000) * 1000;
      for (const c of ['canary', 'control'] as const) {
        const got = golden[c]!;
        const truth = counts.generator[c];
        near(got.requests, truth.requests, 0.15 * truth.requests, `${c} requests from rate(http_requests_total) x ${seconds} s`);
      }
      const window = served(shop, 'canary', from, measuredAt);
      const canaryShare = golden.canary!.errors / golden.canary!.requests;
      near(canaryShare, window.filter((r) => r.code >= 500).length / window.length, 0.08, 'canary error ratio from code=~"5.." against the 5xx the service answered');
      near(canaryShare, ABORT_SHARE, 0.12, 'canary error ratio against the injected abort share');
      assert.equal(golden.control!.errors, 0, 'the control saw no 5xx');
      // The p99 histogram_quantile computed lies in the bucket of the p99 the service served (or next
      // to it: the scrapes lag the window by up to one interval), in milliseconds (latencyUnit s).
      for (const c of ['canary', 'control'] as const) {
        const fromProm = golden[c]!.latencyOk.percentile(99) / 1000;
        const truth = servedQuantile(shop, c, from, measuredAt, 0.99);
        assert.ok(Math.abs(bucketOf(fromProm) - bucketOf(truth)) <= 1, `${c} p99: ${fromProm} s from Prometheus, ${truth} s served`);
      }
      assert.ok(bucketOf(golden.canary!.latencyOk.percentile(99) / 1000) >= bucketOf(LATENCY_MS / 1000), 'the canary p99 shows the injected latency');
    });

    it('prometheus.signals on the proxy\'s own metrics agrees with what the proxy counted', () => {
      for (const c of ['canary', 'control'] as const) {
        near(proxySignals[c]!.requests, counts.proxy[c].requests, 0.15 * counts.proxy[c].requests, `${c} requests from firebreak_proxy_requests_total`);
      }
      near(proxySignals.canary!.errors / proxySignals.canary!.requests, counts.proxy.canary.errors / counts.proxy.canary.requests, 0.08, 'canary error ratio');
      assert.equal(proxySignals.control!.errors, 0);
      const canaryP99 = proxySignals.canary!.latencyOk.percentile(99);
      assert.ok(bucketOf(canaryP99 / 1000) >= bucketOf(LATENCY_MS / 1000), `canary p99 ${canaryP99} ms shows the injected latency`);
      assert.ok(canaryP99 > proxySignals.control!.latencyOk.percentile(99), 'the canary p99 is above the control\'s');
    });

    it('the value probe: request rates per cohort near the generator\'s, at the end of the measured span', async () => {
      const at = measuredAt / 1000;
      const shopRates = await query({ url: prom.url, at, query: `sum by (cohort) (rate(http_requests_total{job="shop", route="/items"}[${WINDOW}]))` });
      const proxyRates = await query({ url: prom.url, at, query: `sum by (cohort) (rate(firebreak_proxy_requests_total{proxy="inventory"}[${WINDOW}]))` });
      for (const c of ['canary', 'control'] as const) {
        const perSecond = counts.generator[c].requests / (measuredMs / 1000);
        near(byCohort(shopRates, c), perSecond, 0.15 * perSecond, `${c} rate at the shop`);
        near(byCohort(proxyRates, c), perSecond, 0.15 * perSecond, `${c} rate at the proxy`);
      }
      near(byCohort(shopRates, 'canary') + byCohort(shopRates, 'control'), RATE, 0.15 * RATE, 'both cohorts together carry the generator\'s rate');
    });

    it('the value probe: error ratios per cohort, the control\'s a real 0 and not a missing series', async () => {
      const at = measuredAt / 1000;
      const ratio = await query({
        url: prom.url,
        at,
        query: `sum by (cohort) (rate(firebreak_proxy_request_errors_total{proxy="inventory"}[${WINDOW}])) / sum by (cohort) (rate(firebreak_proxy_requests_total{proxy="inventory"}[${WINDOW}]))`,
      });
      near(byCohort(ratio, 'canary'), counts.proxy.canary.errors / counts.proxy.canary.requests, 0.08, 'canary error ratio at the proxy');
      assert.equal(byCohort(ratio, 'control'), 0);
    });

    it('the value probe: the canary\'s median shows the latency fault, the control\'s does not', async () => {
      const at = measuredAt / 1000;
      const p50 = (job: string, metric: string) =>
        query({ url: prom.url, at, query: `histogram_quantile(0.5, sum by (le, cohort) (rate(${metric}_bucket{job="${job}"}[${WINDOW}])))` });
      for (const v of [await p50('shop', 'http_request_duration_seconds'), await p50('firebreak-proxy', 'firebreak_proxy_request_duration_seconds')]) {
        const canary = byCohort(v, 'canary');
        const control = byCohort(v, 'control');
        assert.ok(bucketOf(canary) >= bucketOf(LATENCY_MS / 1000), `canary p50 ${canary} s`);
        assert.ok(bucketOf(control) < bucketOf(LATENCY_MS / 1000), `control p50 ${control} s`);
      }
    });

    it('the value probe: the share of requests within 100 ms (le="0.1") is the share the service served so', async () => {
      const at = measuredAt / 1000;
      const within = await query({
        url: prom.url,
        at,
        query: `sum by (cohort) (increase(http_request_duration_seconds_bucket{job="shop", route="/items", le="0.1"}[${WINDOW}])) / sum by (cohort) (increase(http_request_duration_seconds_count{job="shop", route="/items"}[${WINDOW}]))`,
      });
      for (const c of ['canary', 'control'] as const) {
        const window = served(shop, c, measuredAt - MEASURE_MS, measuredAt);
        const truth = window.filter((r) => r.seconds <= 0.1).length / window.length;
        near(byCohort(within, c), truth, 0.1, `${c} share within 100 ms`);
      }
      assert.ok(byCohort(within, 'canary') < 0.4, 'few canary requests are fast: at most the aborted ones');
    });

    it('the value probe over a range: one point per step, each near the cohort\'s rate', async () => {
      const end = measuredAt / 1000;
      const v = await query({ url: prom.url, query: 'sum by (cohort) (rate(firebreak_proxy_requests_total{proxy="inventory"}[3s]))', range: { start: end - 5, end, step: '1s' } });
      assert.equal(v.resultType, 'matrix');
      const canary = v.series.find((s) => s.metric.cohort === 'canary')!;
      assert.equal(canary.values!.length, 6);
      const perSecond = counts.generator.canary.requests / (measuredMs / 1000);
      for (const [, value] of canary.values!) near(value, perSecond, 0.35 * perSecond, 'canary rate at one step');
    });

    it('the label names of the series match what the queries select on', async () => {
      const labels = async (q: string) => {
        const v = await query({ url: prom.url, at: measuredAt / 1000, query: q });
        assert.ok(v.series.length > 0, `no series for ${q}`);
        return [...new Set(v.series.flatMap((s) => Object.keys(s.metric)))].sort();
      };
      assert.deepEqual(await labels('http_requests_total{job="shop"}'), ['__name__', 'code', 'cohort', 'instance', 'job', 'method', 'route']);
      assert.deepEqual(await labels('http_request_duration_seconds_bucket{job="shop"}'), ['__name__', 'code', 'cohort', 'instance', 'job', 'le', 'method', 'route']);
      assert.deepEqual(await labels('firebreak_proxy_requests_total'), ['__name__', 'cohort', 'instance', 'job', 'proxy']);
      assert.deepEqual(await labels('firebreak_proxy_request_duration_seconds_bucket'), ['__name__', 'cohort', 'instance', 'job', 'le', 'proxy']);
      const codes = await query({ url: prom.url, at: measuredAt / 1000, query: 'sum by (cohort, code) (http_requests_total{job="shop"})' });
      const seen = codes.series.map((s) => `${s.metric.cohort} ${s.metric.code}`).sort();
      assert.deepEqual(seen, ['canary 200', 'canary 502', 'control 200']);
    });
  });

  // In a suite of its own so it runs after the measured traffic above (mocha runs a suite's own tests
  // before its nested suites).
  describe('through the CLI', function () {
    it('firebreak run experiments/prometheus-inventory-latency.yaml: deviated, on the p99 Prometheus computed', async function () {
      this.timeout(90_000);
      const tmp = tempDir();
      try {
        const journalPath = join(tmp.dir, 'journal.json');
        const r = await runCli(
          [
            '--ledger', join(tmp.dir, 'ledger.jsonl'),
            'run', join(ROOT, 'experiments', 'prometheus-inventory-latency.yaml'),
            '--var', `shop_url=${shop.url}`, '--var', `proxy_url=${proxy.url}`, '--var', `prometheus_url=${prom.url}`,
            '--journal', journalPath,
          ],
          { timeoutMs: 80_000, env: { FIREBREAK_STATE_DIR: join(tmp.dir, 'state'), FIREBREAK_HISTORY: join(tmp.dir, 'history.jsonl') } },
        );
        const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
        const evidence = journal.verdict.evidence;
        assert.equal(journal.verdict.status, 'deviated', `${journal.verdict.reason}\n${JSON.stringify(evidence, null, 2)}\n${r.stderr.slice(-2000)}`);
        assert.equal(r.code, 1);
        const failed = evidence.filter((e) => e.outcome === 'fail');
        assert.deepEqual(failed.map((e) => [e.check, e.phase]), [['prom.latency.p99 canary <= control + 100ms', 'during']]);
        assert.ok(evidence.filter((e) => e.check.startsWith('prom.errors')).every((e) => e.outcome === 'pass'), JSON.stringify(evidence, null, 2));
        const during = journal.phases.find((p) => p.phase === 'during')!;
        const fromProm = during.signals.prom!;
        const fromLoad = during.signals.shop!;
        assert.ok(fromProm.canary!.latency.p50! >= 300, `canary p99 per interval ${JSON.stringify(fromProm.canary!.latency)}`);
        assert.ok(fromProm.control!.latency.p50! < fromProm.canary!.latency.p50!, `control p99 per interval ${JSON.stringify(fromProm.control!.latency)}`);
        for (const c of ['canary', 'control'] as const) {
          near(fromProm[c]!.traffic.count, fromLoad[c]!.traffic.count, 0.25 * fromLoad[c]!.traffic.count, `${c} requests Prometheus counted against the generator's`);
        }
        assert.ok(journal.faults.every((f) => f.revertedAt), 'the fault was reverted');
        assert.deepEqual((await api(proxy, 'GET', '/proxies/inventory/toxics')).body, []);
      } finally {
        tmp.cleanup();
      }
    });
  });
});
