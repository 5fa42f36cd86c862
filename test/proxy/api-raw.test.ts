import { strict as assert } from 'node:assert';
import type { ProxyServer } from '../../src/proxy/index.js';
import { api, startTestServer } from './helpers/fixture.js';
import { connectTo, startEchoServer, type TestServer } from './helpers/net.js';

// Raw HTTP: the statuses, error bodies and defaults Toxiproxy clients rely on (and the client library hides).
describe('proxy API over raw HTTP', () => {
  let server: ProxyServer;
  let echo: TestServer;
  const err = (error: string, status: number) => ({ error, status });

  beforeEach(async () => {
    echo = await startEchoServer();
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
    await echo.close();
  });

  const create = (body: unknown) => api(server, 'POST', '/proxies', body);

  describe('proxies', () => {
    it('creates with 201, enabled by default, listen as bound, no cohort field', async () => {
      const r = await create({ name: 'p', upstream: echo.address, listen: '127.0.0.1:0' });
      assert.equal(r.status, 201);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(Object.keys(r.body), ['name', 'listen', 'upstream', 'enabled', 'toxics']);
      assert.equal(r.body.enabled, true);
      assert.deepEqual(r.body.toxics, []);
      assert.match(r.body.listen, /^127\.0\.0\.1:[1-9]\d*$/);
    });

    it('defaults listen to a free loopback port and keeps a disabled proxy\'s listen as given', async () => {
      const a = await create({ name: 'a', upstream: echo.address });
      assert.match(a.body.listen, /^127\.0\.0\.1:[1-9]\d*$/);
      const b = await create({ name: 'b', upstream: echo.address, listen: 'localhost:0', enabled: false });
      assert.equal(b.body.listen, 'localhost:0');
      assert.equal(b.body.enabled, false);
    });

    it('refuses missing fields, bad bodies and duplicates with Toxiproxy\'s messages', async () => {
      assert.deepEqual((await create({ upstream: echo.address })).body, err('missing required field: name', 400));
      assert.deepEqual((await create({ name: 'x' })).body, err('missing required field: upstream', 400));
      const bad = await create('{not json');
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /^bad request body: /);
      assert.equal((await create({ name: 5, upstream: echo.address })).status, 400);
      assert.equal((await create({ name: 'x', upstream: 'no-port' })).status, 400);
      await create({ name: 'dup', upstream: echo.address });
      assert.deepEqual((await create({ name: 'dup', upstream: echo.address })).body, err('proxy already exists', 409));
    });

    it('answers 500 with the bind error when the listen address is taken', async () => {
      const r = await create({ name: 'taken', upstream: echo.address, listen: echo.address });
      assert.deepEqual(r.body, err(`listen tcp ${echo.address}: bind: address already in use`, 500));
      assert.equal((await api(server, 'GET', '/proxies/taken')).status, 404, 'a proxy that did not start is not kept');
    });

    it('shows, merges updates (POST and PATCH) and deletes; 404 for unknown proxies', async () => {
      const created = (await create({ name: 'p', upstream: echo.address })).body;
      assert.deepEqual((await api(server, 'GET', '/proxies/p')).body, created);
      const upd = await api(server, 'POST', '/proxies/p', { enabled: false });
      assert.equal(upd.status, 200);
      assert.deepEqual(upd.body, { ...created, enabled: false });
      const patched = await api(server, 'PATCH', '/proxies/p', { enabled: true });
      assert.deepEqual(patched.body, created, 'enabled again on the same address');
      assert.equal((await api(server, 'DELETE', '/proxies/p')).status, 204);
      assert.deepEqual((await api(server, 'GET', '/proxies/p')).body, err('proxy not found', 404));
      assert.deepEqual((await api(server, 'DELETE', '/proxies/p')).body, err('proxy not found', 404));
      assert.deepEqual((await api(server, 'POST', '/proxies/p', { enabled: true })).body, err('proxy not found', 404));
    });

    it('lists proxies as a map by name', async () => {
      await create({ name: 'one', upstream: echo.address });
      await create({ name: 'two', upstream: echo.address, enabled: false });
      const r = await api(server, 'GET', '/proxies');
      assert.deepEqual(Object.keys(r.body).sort(), ['one', 'two']);
      assert.equal(r.body.two.enabled, false);
    });
  });

  describe('populate', () => {
    it('answers 201 with the proxies, and replaces a proxy whose upstream changed', async () => {
      const r = await api(server, 'POST', '/populate', [{ name: 'a', upstream: echo.address }]);
      assert.equal(r.status, 201);
      assert.equal(r.body.proxies.length, 1);
      assert.equal(r.body.proxies[0].enabled, true);
      await api(server, 'POST', '/proxies/a/toxics', { type: 'latency' });
      const same = await api(server, 'POST', '/populate', [{ name: 'a', upstream: echo.address }]);
      assert.equal(same.body.proxies[0].toxics.length, 1, 'an unchanged proxy is left as it was');
      const replaced = await api(server, 'POST', '/populate', [{ name: 'a', upstream: '127.0.0.1:1' }]);
      assert.equal(replaced.body.proxies[0].upstream, '127.0.0.1:1');
      assert.deepEqual(replaced.body.proxies[0].toxics, [], 'a replaced proxy starts without toxics');
    });

    it('validates every entry before changing anything', async () => {
      const r = await api(server, 'POST', '/populate', [{ name: 'ok', upstream: echo.address }, { upstream: echo.address }]);
      assert.deepEqual(r.body, err('missing required field: name at proxy 2', 400));
      assert.deepEqual((await api(server, 'GET', '/proxies')).body, {});
      assert.equal((await api(server, 'POST', '/populate', { name: 'x' })).status, 400);
    });

    it('puts back what it replaced when a later proxy fails to start', async () => {
      await api(server, 'POST', '/populate', [{ name: 'a', upstream: echo.address }]);
      const before = (await api(server, 'GET', '/proxies/a')).body;
      const r = await api(server, 'POST', '/populate', [
        { name: 'a', upstream: '127.0.0.1:9' },
        { name: 'b', upstream: echo.address, listen: echo.address },
      ]);
      assert.equal(r.status, 500);
      assert.deepEqual((await api(server, 'GET', '/proxies/a')).body, before);
      assert.equal((await api(server, 'GET', '/proxies/b')).status, 404);
      (await connectTo(Number(before.listen.split(':')[1]))).destroy();
    });
  });

  describe('toxics', () => {
    beforeEach(async () => void (await create({ name: 'p', upstream: echo.address })));
    const add = (body: unknown) => api(server, 'POST', '/proxies/p/toxics', body);

    it('applies Toxiproxy defaults: downstream, toxicity 1, name <type>_<stream>, zero attributes, 200', async () => {
      const r = await add({ type: 'latency' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { attributes: { latency: 0, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
      const up = await add({ type: 'latency', stream: 'upstream', attributes: { latency: 5, unknown: 1 } });
      assert.equal(up.body.name, 'latency_upstream');
      assert.deepEqual(up.body.attributes, { latency: 5, jitter: 0 }, 'unknown attributes are ignored');
      const list = await api(server, 'GET', '/proxies/p/toxics');
      assert.deepEqual(list.body.map((t: { name: string }) => t.name), ['latency_upstream', 'latency_downstream'], 'upstream chain first');
      assert.deepEqual((await api(server, 'GET', '/proxies/p')).body.toxics, list.body);
    });

    it('refuses bad streams, types, duplicates and attributes', async () => {
      assert.deepEqual((await add({ type: 'latency', stream: 'sideways' })).body, err('stream was invalid, can be either upstream or downstream', 400));
      assert.deepEqual((await add({ type: 'nope' })).body, err('invalid toxic type', 400));
      assert.deepEqual((await add({})).body, err('invalid toxic type', 400));
      await add({ name: 'same', type: 'latency', stream: 'upstream' });
      assert.deepEqual((await add({ name: 'same', type: 'slow_close' })).body, err('toxic already exists', 409));
      assert.equal((await add({ type: 'latency', attributes: { latency: 'slow' } })).status, 400);
      assert.equal((await add({ type: 'latency', attributes: { latency: -1 } })).status, 400);
      assert.equal((await add({ type: 'latency', toxicity: 2 })).status, 400);
      assert.equal((await add({ type: 'latency', attributes: { cohort: 'everyone' } })).status, 400);
      const http = await add({ type: 'http_abort', attributes: { status: 503 } });
      assert.equal(http.status, 400);
      assert.match(http.body.error, /^invalid toxic type: http_abort needs a proxy in cohort mode/);
      assert.deepEqual((await api(server, 'POST', '/proxies/none/toxics', { type: 'latency' })).body, err('proxy not found', 404));
    });

    it('shows, merges updates into attributes and toxicity, and deletes', async () => {
      await add({ type: 'latency', attributes: { latency: 100, jitter: 10 } });
      const path = '/proxies/p/toxics/latency_downstream';
      assert.equal((await api(server, 'GET', path)).body.attributes.latency, 100);
      const u1 = await api(server, 'POST', path, { attributes: { latency: 1000 }, toxicity: 0.5 });
      assert.deepEqual(u1.body, { attributes: { latency: 1000, jitter: 10 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 0.5 });
      const u2 = await api(server, 'PATCH', path, { attributes: { latency: 500 } });
      assert.deepEqual(u2.body.attributes, { latency: 500, jitter: 10 });
      assert.equal(u2.body.toxicity, 0.5, 'toxicity kept when not given');
      const del = await api(server, 'DELETE', path);
      assert.equal(del.status, 204);
      assert.equal(del.text, '');
      assert.deepEqual((await api(server, 'GET', path)).body, err('toxic not found', 404));
      assert.deepEqual((await api(server, 'DELETE', path)).body, err('toxic not found', 404));
      assert.deepEqual((await api(server, 'POST', path, { attributes: {} })).body, err('toxic not found', 404));
    });

    it('keeps a valid cohort attribute on a TCP toxic', async () => {
      const r = await add({ type: 'bandwidth', attributes: { rate: 10, cohort: 'all' } });
      assert.deepEqual(r.body.attributes, { rate: 10, cohort: 'all' });
    });
  });

  describe('server routes', () => {
    it('resets with 204', async () => {
      await create({ name: 'p', upstream: echo.address, enabled: false });
      await api(server, 'POST', '/proxies/p/toxics', { type: 'latency' });
      const r = await api(server, 'POST', '/reset');
      assert.equal(r.status, 204);
      const p = (await api(server, 'GET', '/proxies/p')).body;
      assert.equal(p.enabled, true);
      assert.deepEqual(p.toxics, []);
    });

    it('reports its version as JSON', async () => {
      const r = await api(server, 'GET', '/version');
      assert.equal(r.status, 200);
      assert.match(r.body.version, /^2\.\d+\.\d+$/);
    });

    it('refuses browsers, unknown routes and wrong methods', async () => {
      assert.deepEqual((await api(server, 'GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0' })).body, err('User agent not allowed', 403));
      assert.equal((await api(server, 'GET', '/nothing-here')).status, 404);
      const wrong = await api(server, 'PUT', '/proxies');
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get('allow'), 'GET, POST');
    });

    it('serves Prometheus metrics per proxy', async () => {
      await create({ name: 'p', upstream: echo.address });
      const r = await api(server, 'GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(r.text, /toxiproxy_proxy_received_bytes_total\{direction="upstream",listener="127\.0\.0\.1:\d+",proxy="p",upstream="127\.0\.0\.1:\d+"\} 0/);
      assert.match(r.text, /firebreak_proxy_connections_active\{proxy="p"\} 0/);
    });

    it('answers signals of a TCP proxy with its counters', async () => {
      await create({ name: 'p', upstream: echo.address });
      const r = await api(server, 'GET', '/proxies/p/signals');
      assert.equal(r.status, 200);
      assert.equal(r.body.mode, 'tcp');
      assert.equal(r.body.connections, 0);
      assert.deepEqual(r.body.bytes.upstream, { received: 0, sent: 0 });
      assert.deepEqual((await api(server, 'GET', '/proxies/none/signals')).body, err('proxy not found', 404));
    });
  });
});
