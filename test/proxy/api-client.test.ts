import { strict as assert } from 'node:assert';
import { Toxiproxy, ToxiproxyError, type Latency } from 'toxiproxy-node-client';
import type { ProxyServer } from '../../src/proxy/index.js';
import { startTestServer } from './helpers/fixture.js';
import { connectTo, roundTrip, startEchoServer, type TestServer } from './helpers/net.js';

// The real toxiproxy-node-client against the embedded server: every call the client offers.
describe('proxy API through toxiproxy-node-client', () => {
  let server: ProxyServer;
  let echo: TestServer;
  let client: Toxiproxy;

  beforeEach(async () => {
    echo = await startEchoServer();
    server = await startTestServer();
    client = new Toxiproxy(server.url);
  });
  afterEach(async () => {
    await server.close();
    await echo.close();
  });

  it('creates, gets and lists proxies, reporting the bound port', async () => {
    const created = await client.createProxy({ name: 'echo', listen: 'localhost:0', upstream: echo.address });
    assert.equal(created.name, 'echo');
    assert.equal(created.enabled, true);
    assert.match(created.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(created.listen, '127.0.0.1:0');
    const got = await client.get('echo');
    assert.deepEqual(got.toJson(), { name: 'echo', listen: created.listen, upstream: echo.address, enabled: true });
    const all = await client.getAll();
    assert.deepEqual(Object.keys(all), ['echo']);
    const socket = await connectTo(Number(created.listen.split(':')[1]));
    assert.equal((await roundTrip(socket, 'ping')).reply.toString(), 'ping');
    socket.destroy();
  });

  it('updates a proxy (disable, then enable on the same address) and removes it', async () => {
    const proxy = await client.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address });
    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    assert.equal(disabled.enabled, false);
    await assert.rejects(connectTo(Number(proxy.listen.split(':')[1])), /ECONNREFUSED/);
    const enabled = await disabled.update({ enabled: true, listen: disabled.listen, upstream: disabled.upstream });
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.listen, proxy.listen);
    const socket = await connectTo(Number(proxy.listen.split(':')[1]));
    assert.equal((await roundTrip(socket, 'again')).reply.toString(), 'again');
    socket.destroy();
    await enabled.remove();
    await assert.rejects(client.get('echo'), (err: unknown) => err instanceof ToxiproxyError && /404/.test(err.message));
  });

  it('populates proxies, keeping unchanged ones untouched', async () => {
    const first = await client.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'b', listen: '127.0.0.1:0', upstream: echo.address, enabled: false },
    ]);
    assert.deepEqual(Object.keys(first).sort(), ['a', 'b']);
    assert.equal(first.b!.enabled, false);
    const again = await client.populate([{ name: 'a', listen: '127.0.0.1:0', upstream: echo.address }]);
    assert.equal(again.a!.listen, first.a!.listen, 'an unchanged proxy keeps its port');
  });

  it('adds, gets, updates and removes toxics', async () => {
    const proxy = await client.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address });
    const toxic = await proxy.addToxic<Latency>({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 150, jitter: 0 } });
    assert.deepEqual(toxic.toJson(), { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 150, jitter: 0 } });
    const fetched = await proxy.getToxic<Latency>('slow');
    assert.equal(fetched.attributes.latency, 150);

    const socket = await connectTo(Number(proxy.listen.split(':')[1]));
    assert.ok((await roundTrip(socket, 'x')).ms >= 140, 'the latency applies');
    const updated = await fetched.update({ ...fetched.toJson(), toxicity: 0.5, attributes: { latency: 10, jitter: 0 } });
    assert.equal(updated.toxicity, 0.5);
    assert.equal(updated.attributes.latency, 10);
    await updated.remove();
    await assert.rejects(proxy.getToxic('slow'), /404/);
    assert.ok((await roundTrip(socket, 'y')).ms < 140, 'the latency is gone');
    socket.destroy();
  });

  it('resets: every proxy enabled again and every toxic removed', async () => {
    const proxy = await client.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address });
    await proxy.addToxic({ name: 't', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await client.reset();
    const after = await client.get('echo');
    assert.equal(after.enabled, true);
    await assert.rejects(after.getToxic('t'), /404/);
  });

  it('reports a Toxiproxy-style version and refuses what Toxiproxy refuses', async () => {
    const version = JSON.parse(await client.getVersion());
    assert.match(version.version, /^2\.\d+\.\d+$/);
    await client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: echo.address });
    await assert.rejects(client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: echo.address }), /409/);
    await assert.rejects(client.get('nope'), /404/);
    assert.ok(client.getApi(), 'the raw HTTP client is exposed');
  });
});
