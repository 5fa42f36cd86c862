import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { cohortOf } from '../../src/cohort/sticky.js';
import type { ProxyServer } from '../../src/proxy/index.js';
import { addToxic, api, startTestServer } from './helpers/fixture.js';

const COHORT = { mode: 'http', key: 'header:x-user-id', canary: 0.3, control: 0.3, salt: 'fixed-salt' };

/** A user id that lands in `cohort` under COHORT's salt and shares. */
function userIn(cohort: 'canary' | 'control' | 'untouched'): string {
  for (let i = 0; i < 10_000; i++) if (cohortOf(`user-${i}`, COHORT.salt, COHORT) === cohort) return `user-${i}`;
  throw new Error(`no user in ${cohort}`);
}

// The proxy server's side of cohort mode: sockets go to the HTTP cohort handler, toxics are pushed to it.
describe('proxies in HTTP cohort mode', () => {
  let server: ProxyServer;
  let upstream: Server;
  let upstreamAddress: string;
  let base: string;

  before(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamAddress = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  after(async () => new Promise<void>((r) => upstream.close(() => r())));
  beforeEach(async () => {
    server = await startTestServer();
    const r = await api(server, 'POST', '/proxies', { name: 'web', upstream: upstreamAddress, cohort: COHORT });
    assert.equal(r.status, 201, r.text);
    base = `http://${r.body.listen}`;
  });
  afterEach(async () => server.close());

  const get = async (user: string): Promise<{ status: number; ms: number }> => {
    const start = performance.now();
    const res = await fetch(`${base}/`, { headers: { 'x-user-id': user }, signal: AbortSignal.timeout(5000) });
    await res.text();
    return { status: res.status, ms: performance.now() - start };
  };

  it('reports the cohort settings and forwards HTTP requests', async () => {
    const r = await api(server, 'GET', '/proxies/web');
    assert.deepEqual(r.body.cohort, COHORT);
    assert.equal((await get('anyone')).status, 200);
  });

  it('pushes every toxic change to the handler: http_abort on, then off', async () => {
    await addToxic(server, 'web', { name: 'abort', type: 'http_abort', attributes: { status: 503, cohort: 'all' } });
    assert.equal((await get(userIn('untouched'))).status, 503);
    assert.equal((await api(server, 'POST', '/proxies/web/toxics/abort', { attributes: { status: 502 } })).body.attributes.status, 502);
    assert.equal((await get(userIn('canary'))).status, 502);
    await api(server, 'DELETE', '/proxies/web/toxics/abort');
    assert.equal((await get(userIn('canary'))).status, 200);
  });

  it('applies a standard latency toxic to the canary cohort only', async () => {
    await addToxic(server, 'web', { type: 'latency', attributes: { latency: 300 } });
    const canary = await get(userIn('canary'));
    const control = await get(userIn('control'));
    assert.ok(canary.ms >= 290, `canary took ${canary.ms} ms`);
    assert.ok(control.ms < 250, `control took ${control.ms} ms`);
  });

  it('refuses toxics cohort mode cannot apply, and invalid HTTP toxic attributes', async () => {
    const slicer = await api(server, 'POST', '/proxies/web/toxics', { type: 'slicer' });
    assert.equal(slicer.status, 400);
    assert.match(slicer.body.error, /slicer is not available on a proxy in cohort mode/);
    const bad = await api(server, 'POST', '/proxies/web/toxics', { type: 'http_abort', attributes: { status: 42 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /^bad request body: /);
  });

  it('serves the handler\'s signals and feeds the per-cohort metrics', async () => {
    await get(userIn('canary'));
    await get(userIn('control'));
    const signals = await api(server, 'GET', '/proxies/web/signals');
    assert.equal(signals.body.mode, 'http');
    assert.equal(signals.body.cohorts.canary.requests, 1);
    const metrics = (await api(server, 'GET', '/metrics')).text;
    assert.match(metrics, /firebreak_proxy_requests_total\{proxy="web",cohort="canary"\} 1/);
    assert.match(metrics, /firebreak_proxy_request_duration_seconds_count\{proxy="web",cohort="control"\} 1/);
    // Error series exist at 0 from a cohort's first request (rate() would miss an error that created one).
    assert.match(metrics, /firebreak_proxy_request_errors_total\{proxy="web",cohort="canary"\} 0/);
    assert.match(metrics, /firebreak_proxy_request_errors_total\{proxy="web",cohort="control"\} 0/);
  });

  it('changes cohort settings in place, and leaves cohort mode only without HTTP toxics', async () => {
    const changed = await api(server, 'POST', '/proxies/web', { cohort: { ...COHORT, canary: 0.1 } });
    assert.equal(changed.body.cohort.canary, 0.1);
    await addToxic(server, 'web', { name: 'abort', type: 'http_abort', attributes: { status: 503 } });
    const refused = await api(server, 'POST', '/proxies/web', { cohort: null });
    assert.equal(refused.status, 400);
    await api(server, 'DELETE', '/proxies/web/toxics/abort');
    const tcp = await api(server, 'POST', '/proxies/web', { cohort: null });
    assert.equal(tcp.status, 200);
    assert.equal('cohort' in tcp.body, false);
    assert.equal((await get('anyone')).status, 200, 'bytes now pass through in TCP mode');
    assert.equal((await api(server, 'GET', '/proxies/web/signals')).body.mode, 'tcp');
  });

  it('refuses invalid cohort settings', async () => {
    const r = await api(server, 'POST', '/proxies', { name: 'bad', upstream: upstreamAddress, cohort: { key: 'nowhere', canary: 2 } });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^bad request body: cohort/);
  });
});
