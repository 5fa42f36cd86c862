import { strict as assert } from 'node:assert';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { silentLogger } from '../../../src/log.js';
import { parseTimeSpec, prometheusProbe, resolveTime, type PrometheusQueryAttrs, type PrometheusQueryValue } from '../../../src/probes/prometheus/index.js';
import type { ProbeContext } from '../../../src/probes/types.js';
import { matrix, promError, scalar, startFakePrometheus, vector, type PromReply } from './fake-prometheus.js';

function ctx(timeoutMs = 2000, signal = new AbortController().signal): ProbeContext {
  return { signal, logger: silentLogger(), runId: 'run-1', timeoutMs, connection: null, baseDir: '.' };
}

function parse(raw: Record<string, unknown>): PrometheusQueryAttrs {
  const issues = collectIssues();
  const a = prometheusProbe.parse(raw, issues);
  assert.deepEqual(issues.issues, []);
  return a!;
}

describe('prometheus value probe', function () {
  this.timeout(10_000);
  let prom: Awaited<ReturnType<typeof startFakePrometheus>> | undefined;
  let reply: PromReply = vector([]);
  beforeEach(async () => {
    prom = await startFakePrometheus(() => reply);
  });
  afterEach(async () => {
    await prom?.close();
  });

  it('answers a vector as the first value plus every series with its labels', async () => {
    reply = vector([
      { metric: { job: 'shop', instance: 'a' }, value: '1.5' },
      { metric: { job: 'shop', instance: 'b' }, value: '+Inf' },
    ]);
    const query = 'sum by (instance) (rate(http_requests_total[5m]))';
    const v = (await prometheusProbe.run(ctx(), parse({ url: prom!.url, query, headers: { authorization: 'Bearer t0ken' } }))) as PrometheusQueryValue;
    assert.equal(v.resultType, 'vector');
    assert.equal(v.value, 1.5);
    assert.deepEqual(v.series, [
      { metric: { job: 'shop', instance: 'a' }, value: 1.5 },
      { metric: { job: 'shop', instance: 'b' }, value: Infinity },
    ]);
    const seen = prom!.seen[0]!;
    assert.equal(seen.endpoint, 'query');
    assert.equal(seen.params.get('query'), query);
    assert.equal(seen.params.get('time'), null, 'no time means "now" to Prometheus');
    assert.equal(seen.headers.authorization, 'Bearer t0ken');
  });

  it('answers an empty vector as null', async () => {
    reply = vector([]);
    const v = (await prometheusProbe.run(ctx(), parse({ url: prom!.url, query: 'up{job="none"}' }))) as PrometheusQueryValue;
    assert.equal(v.value, null);
    assert.deepEqual(v.series, []);
  });

  it('answers a scalar, evaluated at a given time', async () => {
    reply = scalar('0.25');
    const v = (await prometheusProbe.run(ctx(), parse({ url: `${prom!.url}/prom`, query: 'scalar(1/4)', at: '2024-01-02T03:04:05Z' }))) as PrometheusQueryValue;
    assert.equal(v.resultType, 'scalar');
    assert.equal(v.value, 0.25);
    assert.equal(prom!.seen[0]!.params.get('time'), String(Date.parse('2024-01-02T03:04:05Z') / 1000));
  });

  it('answers a range query as a matrix, the value being the last point of the first series', async () => {
    reply = matrix([
      { metric: { code: '200' }, values: [[100, '1'], [115, '2'], [130, 'NaN']] },
      { metric: { code: '500' }, values: [[100, '0'], [130, '0.5']] },
    ]);
    const before = Date.now() / 1000;
    const v = (await prometheusProbe.run(
      ctx(),
      parse({ url: prom!.url, query: 'rate(x[1m])', range: { start: 'now-10m', end: 'now', step: '15s' } }),
    )) as PrometheusQueryValue;
    assert.equal(v.resultType, 'matrix');
    assert.ok(Number.isNaN(v.value as number));
    assert.deepEqual(v.series[1], { metric: { code: '500' }, value: 0.5, values: [[100, 0], [130, 0.5]] });
    const p = prom!.seen[0]!.params;
    assert.equal(prom!.seen[0]!.endpoint, 'query_range');
    assert.equal(p.get('step'), '15');
    const start = Number(p.get('start'));
    const end = Number(p.get('end'));
    assert.ok(Math.abs(end - start - 600) < 0.01, `range ${start}..${end}`);
    assert.ok(end >= before - 1 && end <= Date.now() / 1000 + 1);
  });

  const failures: [string, () => PromReply, RegExp][] = [
    ['a bad_data error (400)', () => promError(400, 'bad_data', 'invalid parameter "query": 1:6: parse error: unexpected "}"'), /bad_data: invalid parameter "query"/],
    ['an execution error (422)', () => promError(422, 'execution', 'query processing would load too many samples'), /execution: query processing/],
    ['a timeout error (503)', () => promError(503, 'timeout', 'query timed out in expression evaluation'), /timeout: query timed out/],
    ['a non-JSON gateway error', () => ({ status: 502, body: '<html>Bad Gateway</html>' }), /HTTP 502 <html>Bad Gateway/],
    ['a success without data', () => ({ body: { status: 'success' } }), /no recognisable data/],
  ];
  for (const [name, make, message] of failures) {
    it(`reports ${name} as FIREBREAK_E_PROBE with the API's own words`, async () => {
      reply = make();
      await assert.rejects(prometheusProbe.run(ctx(), parse({ url: prom!.url, query: 'up' })), (err: unknown) => {
        assert.ok(isFirebreakError(err, 'FIREBREAK_E_PROBE'), String(err));
        assert.match((err as Error).message, message);
        return true;
      });
    });
  }

  it('times out on a Prometheus that never answers', async () => {
    reply = { body: null, hang: true };
    const t0 = Date.now();
    await assert.rejects(prometheusProbe.run(ctx(5000), parse({ url: prom!.url, query: 'up', timeout: '200ms' })), (err: unknown) =>
      isFirebreakError(err, 'FIREBREAK_E_TIMEOUT'),
    );
    assert.ok(Date.now() - t0 < 2000);
  });

  it('stops waiting when the run is cancelled', async () => {
    reply = { body: null, hang: true };
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled')), 100);
    await assert.rejects(prometheusProbe.run(ctx(5000, ac.signal), parse({ url: prom!.url, query: 'up' })), /cancelled/);
  });

  it('reports an unreachable Prometheus as FIREBREAK_E_PROBE', async () => {
    const url = prom!.url;
    await prom!.close();
    prom = undefined;
    await assert.rejects(prometheusProbe.run(ctx(), parse({ url, query: 'up' })), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_PROBE'), String(err));
      assert.match((err as Error).message, /cannot reach/);
      return true;
    });
  });
});

describe('prometheus value probe attributes', () => {
  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['a missing url', { query: 'up' }, 'url', /is required/],
    ['a non-http url', { url: 'file:///etc/hosts', query: 'up' }, 'url', /not an http\(s\) URL/],
    ['a missing query', { url: 'http://127.0.0.1:9090' }, 'query', /is required/],
    ['an empty query', { url: 'http://127.0.0.1:9090', query: ' ' }, 'query', /PromQL string/],
    ['a bad time', { url: 'http://127.0.0.1:9090', query: 'up', at: 'yesterday' }, 'at', /is not a time/],
    ['at with range', { url: 'http://127.0.0.1:9090', query: 'up', at: 'now', range: { start: 'now-1h', step: '1m' } }, 'at', /cannot be combined/],
    ['a range without step', { url: 'http://127.0.0.1:9090', query: 'up', range: { start: 'now-1h' } }, 'range.step', /is required/],
    ['a range too fine', { url: 'http://127.0.0.1:9090', query: 'up', range: { start: 'now-720h', step: '1s' } }, 'range.step', /at most 11000/],
    ['a reversed range', { url: 'http://127.0.0.1:9090', query: 'up', range: { start: 'now', end: 'now-1h', step: '1m' } }, 'range', /start is after end/],
    ['an unknown attribute', { url: 'http://127.0.0.1:9090', query: 'up', promql: 'up' }, 'promql', /unknown attribute/],
  ];
  for (const [name, raw, path, message] of bad) {
    it(`rejects ${name} at ${path}`, () => {
      const issues = collectIssues();
      assert.equal(prometheusProbe.parse(raw, issues), undefined);
      const hit = issues.issues.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(issues.issues)}`);
      assert.match(hit.message, message);
    });
  }

  const times: [unknown, (now: number) => number][] = [
    [1_700_000_000, () => 1_700_000_000],
    ['1700000000.5', () => 1_700_000_000.5],
    ['2024-01-02T03:04:05.500Z', () => Date.parse('2024-01-02T03:04:05.500Z') / 1000],
    ['now', (now) => now / 1000],
    ['now-5m', (now) => now / 1000 - 300],
    ['now - 1h30m', (now) => now / 1000 - 5400],
  ];
  for (const [at, expected] of times) {
    it(`reads the time ${JSON.stringify(at)}`, () => {
      const issues = collectIssues();
      const spec = parseTimeSpec(at, 'at', issues)!;
      assert.deepEqual(issues.issues, []);
      const now = 1_710_000_000_000;
      assert.ok(Math.abs(resolveTime(spec, now) - expected(now)) < 1e-6);
    });
  }
});
