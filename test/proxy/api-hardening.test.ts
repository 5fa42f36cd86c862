import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { Toxiproxy } from 'toxiproxy-node-client';
import { proxyDriver } from '../../src/drivers/proxy/driver.js';
import { callProxyApi, withBearerToken } from '../../src/drivers/proxy/client.js';
import { collectIssues } from '../../src/experiment/issues.js';
import { silentLogger } from '../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { freePort } from '../helpers/docker.js';
import { api } from './helpers/fixture.js';
import { connectTo, startEchoServer, type TestServer } from './helpers/net.js';

/** A raw request whose Host and User-Agent the test decides (fetch sets Host itself). */
function raw(server: ProxyServer, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers, setHost: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy API hardening', () => {
  let server: ProxyServer;
  let echo: TestServer;
  beforeEach(async () => {
    echo = await startEchoServer();
    server = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger() });
  });
  afterEach(async () => {
    await server.close();
    await echo.close();
  });
  const create = (body: unknown) => api(server, 'POST', '/proxies', body);

  it('a listen value that is not host:port is a 400, not a 500', async () => {
    for (const listen of ['abc', '127.0.0.1:99999', '127.0.0.1:', ':::', 'host:-1', '[zz]:80', '127.0.0.1:80:80']) {
      const r = await create({ name: 'p', upstream: echo.address, listen });
      assert.equal(r.status, 400, `${listen}: ${r.text}`);
      assert.match(r.body.error, /^bad request body: listen must be host:port/);
    }
  });

  it('proxies listen on loopback only, unless the server allows more', async () => {
    for (const listen of ['0.0.0.0:0', '[::]:0', ':0', '192.0.2.1:0', 'example.com:0']) {
      const r = await create({ name: 'p', upstream: echo.address, listen });
      assert.equal(r.status, 400, listen);
      assert.match(r.body.error, /is not a loopback address; start the server with --allow-non-loopback/);
    }
    for (const listen of ['127.0.0.1:0', '127.1.2.3:0', 'localhost:0', '[::1]:0']) {
      const r = await create({ name: `ok-${listen}`, upstream: echo.address, listen });
      assert.equal(r.status, 201, `${listen}: ${r.text}`);
    }
    const open = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), allowNonLoopback: true });
    try {
      const r = await api(open, 'POST', '/proxies', { name: 'any', upstream: echo.address, listen: '0.0.0.0:0' });
      assert.equal(r.status, 201, r.text);
    } finally {
      await open.close();
    }
  });

  it('an upstream without a host is a 400 and leaves no listener behind', async () => {
    const port = await freePort();
    const r = await create({ name: 'p', upstream: ':8080', listen: `127.0.0.1:${port}`, cohort: { mode: 'http', key: 'header:x-user', canary: 0.1, salt: 's' } });
    assert.equal(r.status, 400, r.text);
    await assert.rejects(connectTo(port), /ECONNREFUSED/);
    assert.equal((await api(server, 'GET', '/proxies')).text, '{}');
  });

  it('names that cannot be addressed are refused at creation', async () => {
    for (const name of ['.', '..', 'a\uD800b', '\uDC00', 'x'.repeat(201), 'tab\there']) {
      const r = await create({ name, upstream: echo.address });
      assert.equal(r.status, 400, JSON.stringify(name));
      assert.match(r.body.error, /^bad request body: proxy name /);
    }
    assert.equal((await create({ name: 'p', upstream: echo.address })).status, 201);
    const t = await api(server, 'POST', '/proxies/p/toxics', { name: '..', type: 'latency' });
    assert.equal(t.status, 400);
    assert.match(t.body.error, /toxic name/);
  });

  it('POST /reset goes on past a proxy that cannot start and says which', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    try {
      assert.equal((await create({ name: 'a', upstream: echo.address })).status, 201);
      assert.equal((await create({ name: 'b', upstream: echo.address, listen: `127.0.0.1:${port}`, enabled: false })).status, 201);
      for (const p of ['a', 'b']) assert.equal((await api(server, 'POST', `/proxies/${p}/toxics`, { type: 'latency', attributes: { latency: 100 } })).status, 200);
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      const r = await api(server, 'POST', '/reset');
      assert.equal(r.status, 500, r.text);
      assert.deepEqual(r.body.failed.map((f: { proxy: string }) => f.proxy), ['b']);
      const all = (await api(server, 'GET', '/proxies')).body;
      assert.deepEqual([all.a.toxics, all.b.toxics], [[], []], 'every toxic removed');
      assert.equal(all.a.enabled, true);
    } finally {
      blocker.close();
    }
  });

  it('durations past the longest timer and an empty stream are refused, as bad requests', async () => {
    assert.equal((await create({ name: 'p', upstream: echo.address })).status, 201);
    const long = await api(server, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 2 ** 31 } });
    assert.equal(long.status, 400);
    assert.match(long.body.error, /latency of latency must be at most 2147483647/);
    const timeout = await api(server, 'POST', '/proxies/p/toxics', { type: 'timeout', attributes: { timeout: 35 * 24 * 3600 * 1000 } });
    assert.equal(timeout.status, 400);
    const stream = await api(server, 'POST', '/proxies/p/toxics', { type: 'latency', stream: '' });
    assert.deepEqual(stream.body, { error: 'stream was invalid, can be either upstream or downstream', status: 400 });
  });

  it('a browser is refused whatever the case of its User-Agent; a Host that is not this server is refused', async () => {
    assert.equal((await raw(server, '/version', { 'User-Agent': 'mozilla/5.0 (X11)', Host: '127.0.0.1' })).status, 403);
    assert.equal((await raw(server, '/version', { 'User-Agent': 'MOZILLA/5.0', Host: '127.0.0.1' })).status, 403);
    const rebinding = await raw(server, '/proxies', { Host: `attacker.example:${server.port}` });
    assert.equal(rebinding.status, 403);
    assert.match(rebinding.body, /Host not allowed/);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST`, `[::1]:${server.port}`]) {
      assert.equal((await raw(server, '/version', { Host: host })).status, 200, host);
    }
  });

  describe('with a bearer token', () => {
    let locked: ProxyServer;
    beforeEach(async () => {
      locked = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), token: 'tok-0123456789' });
    });
    afterEach(() => locked.close());

    it('refuses requests without it (401), and toxiproxy-node-client can send it', async () => {
      const none = await api(locked, 'GET', '/proxies');
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await api(locked, 'GET', '/proxies', undefined, { Authorization: 'Bearer wrong-token-00' })).status, 401);
      assert.equal((await api(locked, 'GET', '/proxies', undefined, { Authorization: 'Bearer tok-0123456789' })).status, 200);
      await assert.rejects(new Toxiproxy(locked.url).getVersion(), /401/);
      const client = withBearerToken(new Toxiproxy(locked.url), 'tok-0123456789');
      const created = await client.createProxy({ name: 'c', upstream: echo.address, listen: '127.0.0.1:0' });
      assert.equal(created.name, 'c');
    });

    it('the proxy driver sends it from the environment variable its configuration names', async () => {
      const issues = collectIssues();
      const config = proxyDriver.parseConfig({ url: locked.url, tokenEnv: 'FB_TEST_PROXY_TOKEN' }, issues)!;
      assert.deepEqual(issues.issues, []);
      const ctx = { signal: new AbortController().signal, logger: silentLogger(), timeoutMs: 5_000 };
      process.env.FB_TEST_PROXY_TOKEN = 'tok-0123456789';
      try {
        await proxyDriver.connect(config, ctx);
        const version = await callProxyApi(locked.url, 'version', ctx, (c) => c.getVersion());
        assert.match(String(version), /2\.12/);
      } finally {
        delete process.env.FB_TEST_PROXY_TOKEN;
      }
      const literal = collectIssues();
      proxyDriver.parseConfig({ url: locked.url, token: 'tok-0123456789' }, literal);
      assert.match(literal.issues[0]?.message ?? '', /never written into an experiment/);
    });
  });
});
