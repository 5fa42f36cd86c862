import { strict as assert } from 'node:assert';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { silentLogger } from '../../../src/log.js';
import { prometheusSignalsProbe, windowText, withWindow, type PrometheusSignalsAttrs } from '../../../src/probes/prometheus/index.js';
import type { SignalSource } from '../../../src/signals/types.js';
import { promError, scalar, startFakePrometheus, vector, type PromReply } from './fake-prometheus.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parse(raw: Record<string, unknown>): PrometheusSignalsAttrs {
  const issues = collectIssues();
  const a = prometheusSignalsProbe.parse(raw, issues);
  assert.deepEqual(issues.issues, []);
  return a!;
}

function sourceOf(attrs: PrometheusSignalsAttrs): SignalSource {
  return prometheusSignalsProbe.source({ logger: silentLogger(), runId: 'r', timeoutMs: 2000, connection: null, baseDir: '.' }, attrs);
}

// Answers by which metric and cohort a query names, like a Prometheus holding these series would.
function answer(query: string): PromReply {
  const cohort = /cohort="(\w+)"/.exec(query)?.[1];
  if (query.includes('broken')) return promError(400, 'bad_data', 'parse error: unexpected identifier "broken"');
  if (query.includes('histogram_quantile')) return vector([{ metric: { cohort: cohort! }, value: cohort === 'canary' ? '0.25' : '0.05' }]);
  if (query.includes('code=~"5.."')) return vector(cohort === 'canary' ? [{ value: '2' }, { value: '1' }] : []);
  if (query.includes('http_requests_total')) return vector([{ metric: { pod: 'a' }, value: '60' }, { metric: { pod: 'b' }, value: '40' }]);
  if (query.includes('saturation')) return scalar('0.7');
  if (query.includes('ratio')) return vector([{ value: '0.1' }]);
  return vector([]);
}

const golden = (cohort: string) => ({
  latencyP99: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{cohort="${cohort}"}[\${window}])))`,
  requestRate: `sum(rate(http_requests_total{cohort="${cohort}"}[$window]))`,
  errorRate: `sum(rate(http_requests_total{cohort="${cohort}",code=~"5.."}[$window]))`,
});

describe('prometheus signals probe', function () {
  this.timeout(10_000);
  let prom: Awaited<ReturnType<typeof startFakePrometheus>>;
  beforeEach(async () => {
    prom = await startFakePrometheus((r) => answer(r.params.get('query') ?? ''));
  });
  afterEach(async () => {
    await prom.close();
  });

  it('turns per-cohort rates and p99 into intervals: requests = rate x seconds, p99 as one sample', async () => {
    const source = sourceOf(parse({ url: prom.url, queries: { canary: { ...golden('canary'), saturation: 'saturation' }, control: golden('control') } }));
    await source.start({ signal: new AbortController().signal, logger: silentLogger() });
    await sleep(500);
    const out = await source.collect();
    await source.stop();
    const canary = out.canary!;
    const control = out.control!;
    const seconds = (canary.end - canary.start) / 1000;
    assert.ok(seconds >= 0.45 && seconds < 2, `interval ${seconds} s`);
    assert.equal(canary.requests, Math.round(100 * seconds), 'rates of every series add up');
    assert.equal(canary.errors, Math.round(3 * seconds));
    assert.equal(control.errors, 0, 'an empty error vector means no errors');
    assert.equal(canary.latencyOk.count, 1);
    assert.ok(Math.abs(canary.latencyOk.percentile(99) - 250) < 1, `canary p99 ${canary.latencyOk.percentile(99)} ms`);
    assert.ok(Math.abs(control.latencyOk.percentile(99) - 50) < 1);
    assert.equal(canary.latencyFailed.count, 0);
    assert.equal(canary.saturation, 0.7);
    assert.equal(control.saturation, undefined);
    assert.equal(out.untouched, undefined);
    // The window placeholder, in both spellings, became the default minimum window.
    const queries = prom.seen.map((r) => r.params.get('query')!);
    assert.equal(queries.length, 7);
    assert.ok(queries.every((q) => !q.includes('window')), queries.join('\n'));
    assert.ok(queries.filter((q) => q.includes('[30s]')).length === 6);
    const times = new Set(prom.seen.map((r) => r.params.get('time')));
    assert.equal(times.size, 1, 'every query of one collection is evaluated at the same instant');
  });

  it('uses the time since the last collection as the window when longer than minWindow', async () => {
    const source = sourceOf(parse({ url: prom.url, minWindow: '1s', queries: { canary: { requestRate: 'sum(rate(http_requests_total[$window]))' } } }));
    await source.start({ signal: new AbortController().signal, logger: silentLogger() });
    await sleep(1200);
    await source.collect();
    await source.collect();
    assert.equal(prom.seen[0]!.params.get('query'), 'sum(rate(http_requests_total[2s]))');
    assert.equal(prom.seen[1]!.params.get('query'), 'sum(rate(http_requests_total[1s]))');
  });

  it('derives errors from errorRatio and reads latency already in milliseconds', async () => {
    const source = sourceOf(
      parse({
        url: prom.url,
        latencyUnit: 'ms',
        queries: { control: { requestRate: 'http_requests_total', errorRatio: 'ratio', latencyP99: 'histogram_quantile(0.99, x)' } },
      }),
    );
    await source.start({ signal: new AbortController().signal, logger: silentLogger() });
    await sleep(1000);
    const c = (await source.collect()).control!;
    assert.ok(c.requests >= 95 && c.requests <= 150, `requests ${c.requests}`);
    assert.equal(c.errors, Math.round(0.1 * c.requests));
    assert.ok(Math.abs(c.latencyOk.percentile(99) - 0.05) < 0.01, 'a value already in ms is recorded as is');
  });

  it('leaves out a cohort whose query failed, and fails when every cohort failed', async () => {
    const source = sourceOf(
      parse({ url: prom.url, queries: { canary: { requestRate: 'broken(' }, control: golden('control') } }),
    );
    await source.start({ signal: new AbortController().signal, logger: silentLogger() });
    const out = await source.collect();
    assert.equal(out.canary, undefined);
    assert.ok(out.control);
    const allBroken = sourceOf(parse({ url: prom.url, queries: { canary: { requestRate: 'broken(' } } }));
    await allBroken.start({ signal: new AbortController().signal, logger: silentLogger() });
    await assert.rejects(allBroken.collect(), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_PROBE'));
      assert.match((err as Error).message, /canary: .*bad_data: parse error/);
      return true;
    });
  });

  it('formats windows and substitutes both placeholder spellings', () => {
    assert.equal(windowText(1200, 30_000), '30s');
    assert.equal(windowText(61_001, 30_000), '62s');
    assert.equal(withWindow('rate(x[${window}]) / rate(y[$window]) + $windows', '45s'), 'rate(x[45s]) / rate(y[45s]) + $windows');
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing queries', { url: 'http://127.0.0.1:9090' }, 'queries', /is required/],
    ['an unknown cohort', { url: 'http://127.0.0.1:9090', queries: { canaries: { requestRate: 'x' } } }, 'queries.canaries', /unknown cohort/],
    ['an unknown signal', { url: 'http://127.0.0.1:9090', queries: { canary: { p99: 'x' } } }, 'queries.canary.p99', /unknown signal "p99"/],
    ['a cohort without queries', { url: 'http://127.0.0.1:9090', queries: { canary: {} } }, 'queries.canary', /names no query/],
    ['both error forms', { url: 'http://127.0.0.1:9090', queries: { canary: { requestRate: 'a', errorRate: 'b', errorRatio: 'c' } } }, 'queries.canary.errorRatio', /not both/],
    ['errors without requests', { url: 'http://127.0.0.1:9090', queries: { canary: { errorRate: 'b' } } }, 'queries.canary.requestRate', /is required with errorRate/],
    ['a bad latency unit', { url: 'http://127.0.0.1:9090', latencyUnit: 'us', queries: { canary: { latencyP99: 'x' } } }, 'latencyUnit', /"s" or "ms"/],
    ['a tiny minWindow', { url: 'http://127.0.0.1:9090', minWindow: '10ms', queries: { canary: { latencyP99: 'x' } } }, 'minWindow', /at least 1s/],
  ];
  for (const [name, raw, path, message] of bad) {
    it(`rejects ${name} at ${path}`, () => {
      const issues = collectIssues();
      assert.equal(prometheusSignalsProbe.parse(raw, issues), undefined);
      const hit = issues.issues.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(issues.issues)}`);
      assert.match(hit.message, message);
    });
  }
});
