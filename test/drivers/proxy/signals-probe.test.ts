import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { proxySignalsProbe, ProxySignalsSource } from '../../../src/drivers/proxy/signals-probe.js';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { silentLogger } from '../../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../../src/proxy/index.js';
import type { SignalSource } from '../../../src/signals/types.js';
import { CANARY_KEY, COHORT, CONTROL_KEY, send, startUpstream, type Upstream } from '../../proxy/http/helpers.js';

function sourceFor(url: string, proxy = 'web', timeoutMs = 2000): SignalSource {
  return proxySignalsProbe.source({ logger: silentLogger(), runId: 'r1', timeoutMs, connection: { url }, baseDir: '.' }, { proxy, timeoutMs: 2000 });
}

async function api(server: ProxyServer, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    signal: AbortSignal.timeout(5000),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** An API that accepts connections and never answers. */
async function startSilentApi(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('proxy.signals probe', () => {
  describe('parse', () => {
    it('accepts a proxy name', () => {
      const issues = collectIssues();
      assert.deepEqual(proxySignalsProbe.parse({ proxy: 'web' }, issues), { proxy: 'web', timeoutMs: 2000 });
      assert.equal(issues.count, 0);
    });
    for (const [attrs, path] of [
      [{}, 'proxy'],
      [{ proxy: 3 }, 'proxy'],
      [{ proxy: ' ' }, 'proxy'],
      [{ proxy: 'web', interval: 5 }, 'interval'],
    ] as const) {
      it(`refuses ${JSON.stringify(attrs)}`, () => {
        const issues = collectIssues();
        assert.equal(proxySignalsProbe.parse({ ...attrs }, issues.at('probes[0]')), undefined);
        assert.equal(issues.issues[0]?.path, `probes[0].${path}`);
      });
    }
    it('is registered as proxy.signals on the proxy driver', () => {
      assert.equal(proxySignalsProbe.type, 'proxy.signals');
      assert.equal(proxySignalsProbe.driver, 'proxy');
      assert.equal(proxySignalsProbe.kind, 'signals');
    });
  });

  describe('against the embedded proxy server', () => {
    let upstream: Upstream;
    let server: ProxyServer;
    let proxyPort: number;
    const run = new AbortController();

    const createProxy = async (): Promise<void> => {
      const created = (await api(server, 'POST', '/proxies', {
        name: 'web',
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${upstream.port}`,
        cohort: COHORT,
      })) as { listen: string };
      proxyPort = Number(created.listen.split(':').pop());
    };

    before(async () => {
      upstream = await startUpstream(1000);
    });
    beforeEach(async () => {
      server = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger() });
      await createProxy();
    });
    afterEach(async () => {
      await server.close();
    });
    after(async () => {
      await upstream.close();
    });

    it('returns what happened per cohort since the previous collection', async () => {
      // Traffic before start() does not count.
      await send(proxyPort, { headers: { 'x-user': CANARY_KEY } });
      const source = sourceFor(`${server.url}/`);
      await source.start({ signal: run.signal, logger: silentLogger() });

      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      for (let i = 0; i < 5; i++) await send(proxyPort, { agent, path: '/delay?ms=60', headers: { 'x-user': CANARY_KEY } });
      for (let i = 0; i < 2; i++) await send(proxyPort, { agent, path: '/status?code=503', headers: { 'x-user': CANARY_KEY } });
      await api(server, 'POST', '/proxies/web/toxics', { name: 'abort', type: 'http_abort', attributes: { status: 500, cohort: 'control' } });
      assert.equal((await send(proxyPort, { agent, headers: { 'x-user': CONTROL_KEY } })).status, 500);
      await api(server, 'DELETE', '/proxies/web/toxics/abort');
      for (let i = 0; i < 3; i++) await send(proxyPort, { agent, path: '/blob', headers: { 'x-user': CONTROL_KEY } });
      const first = await source.collect();
      assert.equal(first.canary?.requests, 7);
      assert.equal(first.canary?.errors, 2);
      assert.equal(first.canary?.latencyOk.count, 5);
      assert.equal(first.canary?.latencyFailed.count, 2);
      const p50 = first.canary!.latencyOk.percentile(50);
      assert.ok(p50 >= 55 && p50 < 600, `canary p50 ${p50} ms against a 60 ms server`);
      assert.equal(first.control?.requests, 4);
      assert.equal(first.control?.errors, 1, 'the aborted control request');
      assert.equal(first.control?.bytes, 3000);
      assert.equal(first.untouched?.requests, 0);
      assert.ok(first.canary!.end >= first.canary!.start);

      for (let i = 0; i < 4; i++) await send(proxyPort, { agent });
      agent.destroy();
      const second = await source.collect();
      assert.equal(second.canary?.requests, 0);
      assert.equal(second.canary?.latencyOk.count, 0, 'the interval histogram holds only the new requests');
      assert.equal(second.control?.requests, 0);
      assert.equal(second.untouched?.requests, 4);
      assert.equal(second.untouched?.latencyOk.count, 4);
      assert.equal(second.canary!.start, first.canary!.end, 'intervals are contiguous');
      await source.stop();
    });

    it('counts from zero again when the proxy was recreated', async () => {
      const source = sourceFor(server.url);
      for (let i = 0; i < 5; i++) await send(proxyPort, { headers: { 'x-user': CONTROL_KEY } });
      await source.start({ signal: run.signal, logger: silentLogger() });
      await new Promise((r) => setTimeout(r, 5)); // a distinct `since`
      await api(server, 'DELETE', '/proxies/web');
      await createProxy();
      for (let i = 0; i < 2; i++) await send(proxyPort, { headers: { 'x-user': CONTROL_KEY } });
      const interval = await source.collect();
      assert.equal(interval.control?.requests, 2);
      assert.equal(interval.control?.latencyOk.count, 2);
      await source.stop();
    });

    it('fails with FIREBREAK_E_PROBE for an unknown proxy', async () => {
      const source = sourceFor(server.url, 'nope');
      await assert.rejects(source.start({ signal: run.signal, logger: silentLogger() }), (err: unknown) => {
        assert.ok(isFirebreakError(err, 'FIREBREAK_E_PROBE'), String(err));
        assert.match((err as Error).message, /404/);
        return true;
      });
    });

    it('fails with FIREBREAK_E_PROBE for a proxy in TCP mode', async () => {
      await api(server, 'POST', '/proxies', { name: 'plain', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
      const source = sourceFor(server.url, 'plain');
      await assert.rejects(source.start({ signal: run.signal, logger: silentLogger() }), (err: unknown) => {
        assert.ok(isFirebreakError(err, 'FIREBREAK_E_PROBE'), String(err));
        assert.match((err as Error).message, /not in http cohort mode/);
        return true;
      });
    });
  });

  describe('when the API misbehaves', () => {
    it('fails with FIREBREAK_E_TIMEOUT when the API does not answer in time', async () => {
      const silent = await startSilentApi();
      try {
        const source = sourceFor(silent.url, 'web', 300);
        const started = performance.now();
        await assert.rejects(source.start({ signal: new AbortController().signal, logger: silentLogger() }), (err: unknown) =>
          isFirebreakError(err, 'FIREBREAK_E_TIMEOUT'),
        );
        assert.ok(performance.now() - started < 2000);
      } finally {
        await silent.close();
      }
    });

    it('stops waiting when the run is cancelled', async () => {
      const silent = await startSilentApi();
      try {
        const source = new ProxySignalsSource(silent.url, 'web', { timeoutMs: 10_000 });
        const cancel = new AbortController();
        const started = performance.now();
        const pending = source.start({ signal: cancel.signal, logger: silentLogger() });
        setTimeout(() => cancel.abort(), 100);
        await assert.rejects(pending);
        assert.ok(performance.now() - started < 2000);
      } finally {
        await silent.close();
      }
    });

    it('fails with FIREBREAK_E_PROBE when the API is unreachable', async () => {
      const source = sourceFor('http://127.0.0.1:1');
      await assert.rejects(source.start({ signal: new AbortController().signal, logger: silentLogger() }), (err: unknown) =>
        isFirebreakError(err, 'FIREBREAK_E_PROBE'),
      );
    });
  });
});
