import { strict as assert } from 'node:assert';
import type { ProxyServer } from '../../src/proxy/index.js';
import { startTestServer } from './helpers/fixture.js';
import { startEchoServer, type TestServer } from './helpers/net.js';

/*
 * Toxiproxy's own command line (toxiproxy-cli) talks to the server through Toxiproxy's Go client. No
 * build of it can be installed here, so this test replays, byte for byte where it matters, the
 * requests that client sends (its client.go and proxy.go: method, path, `User-Agent: toxiproxy-cli`,
 * `Content-Type: application/json`, the JSON bodies it marshals) and checks the answers are what it
 * decodes: a 2xx with the JSON fields it reads, or an error body with `error` and `status`.
 */
describe('requests of Toxiproxy\'s Go client (as toxiproxy-cli sends them)', () => {
  let server: ProxyServer;
  let echo: TestServer;
  beforeEach(async () => {
    echo = await startEchoServer();
    server = await startTestServer();
  });
  afterEach(async () => {
    await server.close();
    await echo.close();
  });

  async function send(verb: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${server.url}${path}`, {
      method: verb,
      headers: { 'User-Agent': 'toxiproxy-cli', 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  it('create (Proxy.Save on a new proxy), list, show, disable and enable (Save on an existing one), delete', async () => {
    // CreateProxy marshals the whole Proxy struct, toxics included (null for an empty Go slice).
    const created = await send('POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: echo.address, enabled: true, toxics: null });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.json).sort(), ['enabled', 'listen', 'name', 'toxics', 'upstream']);
    assert.match(created.json.listen, /^127\.0\.0\.1:\d+$/);
    const listed = await send('GET', '/proxies');
    assert.equal(listed.status, 200);
    assert.equal(listed.json.redis.upstream, echo.address);
    const shown = await send('GET', '/proxies/redis');
    assert.equal(shown.json.enabled, true);
    const disabled = await send('POST', '/proxies/redis', { ...shown.json, enabled: false });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.json.enabled, false);
    const enabled = await send('POST', '/proxies/redis', { ...disabled.json, enabled: true });
    assert.equal(enabled.json.enabled, true);
    assert.equal(enabled.json.listen, created.json.listen, 're-enabled on the same address');
    const deleted = await send('DELETE', '/proxies/redis');
    assert.equal(deleted.status, 204);
    const gone = await send('GET', '/proxies/redis');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, { error: 'proxy not found', status: 404 });
  });

  it('toxic add (POST), update (PATCH with attributes and toxicity), list, remove (DELETE)', async () => {
    await send('POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream: echo.address, enabled: true, toxics: null });
    // The Go client sends toxicity 1 when the CLI was given none (-1), and every field of its Toxic struct.
    const added = await send('POST', '/proxies/db/toxics', { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 0 } });
    assert.equal(added.status, 200);
    assert.deepEqual(added.json, { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 0 } });
    // A nameless toxic from the CLI gets <type>_<stream>.
    const unnamed = await send('POST', '/proxies/db/toxics', { name: '', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: 100 } });
    assert.equal(unnamed.json.name, 'bandwidth_upstream');
    const updated = await send('PATCH', '/proxies/db/toxics/slow', { attributes: { latency: 200 }, toxicity: 0.5 });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.attributes.latency, 200);
    assert.equal(updated.json.attributes.jitter, 0, 'attributes merged, not replaced');
    assert.equal(updated.json.toxicity, 0.5);
    const listed = await send('GET', '/proxies/db/toxics');
    assert.deepEqual(listed.json.map((t: { name: string }) => t.name).sort(), ['bandwidth_upstream', 'slow']);
    assert.equal((await send('DELETE', '/proxies/db/toxics/slow')).status, 204);
    const missing = await send('DELETE', '/proxies/db/toxics/slow');
    assert.deepEqual(missing.json, { error: 'toxic not found', status: 404 });
  });

  it('populate (a JSON list of Proxy structs), reset (POST with an empty body), version', async () => {
    const populated = await send('POST', '/populate', [
      { name: 'a', listen: '127.0.0.1:0', upstream: echo.address, enabled: true, toxics: null },
      { name: 'b', listen: '127.0.0.1:0', upstream: echo.address, enabled: false, toxics: null },
    ]);
    assert.equal(populated.status, 201);
    assert.deepEqual(populated.json.proxies.map((p: { name: string }) => p.name).sort(), ['a', 'b']);
    await send('POST', '/proxies/a/toxics', { name: 'cut', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
    const reset = await send('POST', '/reset', '');
    assert.equal(reset.status, 204);
    const after = await send('GET', '/proxies');
    assert.deepEqual(after.json.a.toxics, []);
    assert.equal(after.json.b.enabled, true, 'reset enables every proxy');
    const version = await fetch(`${server.url}/version`, { headers: { 'User-Agent': 'toxiproxy-cli' } });
    assert.equal(version.status, 200);
    assert.ok((await version.text()).length > 0);
  });
});
