import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { addToxic, api, createProxy, startTestServer } from './helpers/fixture.js';
import { connectTo, readAll, readBytes, roundTrip, startEchoServer, type TestServer } from './helpers/net.js';

describe('partition (enabled: false) and server shutdown', () => {
  let echo: TestServer;
  beforeEach(async () => (echo = await startEchoServer()));
  afterEach(async () => echo.close());

  describe('enabled: false', () => {
    let server: ProxyServer;
    let port: number;
    beforeEach(async () => {
      server = await startTestServer();
      port = await createProxy(server, 'echo', echo.address);
    });
    afterEach(async () => server.close());

    it('closes the listener and open connections; enabling reopens on the same address', async () => {
      const open = await connectTo(port);
      assert.equal((await roundTrip(open, 'up')).reply.toString(), 'up');
      const ended = readAll(open);
      const off = await api(server, 'POST', '/proxies/echo', { enabled: false });
      assert.equal(off.body.enabled, false);
      assert.equal((await ended).length, 0, 'the open connection was closed');
      await assert.rejects(connectTo(port), /ECONNREFUSED/);
      const on = await api(server, 'POST', '/proxies/echo', { enabled: true });
      assert.equal(on.body.listen, `127.0.0.1:${port}`);
      const again = await connectTo(port);
      assert.equal((await roundTrip(again, 'back')).reply.toString(), 'back');
      again.destroy();
    });

    it('delivers the bytes a link already accepted before closing it', async () => {
      await addToxic(server, 'echo', { type: 'latency', attributes: { latency: 5000 } });
      const s = await connectTo(port);
      const start = performance.now();
      const all = readAll(s);
      s.write('in flight');
      await new Promise((r) => setTimeout(r, 200));
      await api(server, 'POST', '/proxies/echo', { enabled: false });
      assert.equal((await all).toString(), 'in flight');
      assert.ok(performance.now() - start < 3000, 'flushed at once, not after the latency');
    });

    it('deleting a proxy closes its listener and connections too', async () => {
      const s = await connectTo(port);
      const ended = readAll(s);
      assert.equal((await api(server, 'DELETE', '/proxies/echo')).status, 204);
      await ended;
      await assert.rejects(connectTo(port), /ECONNREFUSED/);
    });
  });

  describe('close()', () => {
    it('stops the API and the proxies, delivering held bytes first', async () => {
      const server = await startProxyServer({ port: 0, logger: silentLogger(), proxies: [{ name: 'echo', upstream: echo.address }] });
      const proxy = server.proxy('echo')!;
      const port = Number(proxy.listen.split(':')[1]);
      await addToxic(server, 'echo', { type: 'latency', attributes: { latency: 5000 } });
      const s = await connectTo(port);
      const got = readBytes(s, 6);
      const ended = new Promise((r) => s.once('end', r));
      s.write('bye-bye');
      await new Promise((r) => setTimeout(r, 150));
      await server.close();
      assert.equal((await got).toString(), 'bye-by');
      await ended;
      await assert.rejects(connectTo(port), /ECONNREFUSED/);
      await assert.rejects(fetch(`${server.url}/version`, { signal: AbortSignal.timeout(2000) }));
      await server.close();
    });

    it('populates proxies at start, and fails (freeing its port) when one cannot start', async () => {
      const server = await startProxyServer({ port: 0, logger: silentLogger(), proxies: [{ name: 'a', upstream: echo.address, listen: '127.0.0.1:0' }] });
      assert.equal(server.proxies().length, 1);
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      await server.close();
      await assert.rejects(startProxyServer({ port: 0, logger: silentLogger(), proxies: [{ name: 'b', upstream: echo.address, listen: echo.address }] }), /address already in use/);
    });
  });
});
