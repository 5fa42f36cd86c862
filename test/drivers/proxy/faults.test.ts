import { strict as assert } from 'node:assert';
import { isFirebreakError } from '../../../src/errors.js';
import type { FaultType } from '../../../src/faults/types.js';
import {
  proxyAbort,
  proxyBandwidth,
  proxyDriver,
  proxyLatency,
  proxyLimitData,
  proxyReset,
  proxySlicer,
  proxySlowClose,
  proxyTimeout,
  type ProxyConnection,
  type ToxicFaultState,
} from '../../../src/drivers/proxy/index.js';
import { closed, connectTo, roundTrip, startEchoServer, type TestServer } from '../../proxy/helpers/net.js';
import { connectDriver, faultCtx, parsed } from './helpers.js';

/** The toxic as the proxy API shows it, or undefined when it is not there. */
async function toxicOn(conn: ProxyConnection, proxy: string, name: string): Promise<any> {
  const res = await fetch(`${conn.url}/proxies/${proxy}/toxics/${name}`, { signal: AbortSignal.timeout(5000) });
  return res.status === 200 ? res.json() : undefined;
}

const portOf = (conn: ProxyConnection, proxy: string): number => Number(conn.server!.proxy(proxy)!.listen.split(':')[1]);

describe('proxy driver toxic faults against the embedded server', () => {
  let echo: TestServer;
  let conn: ProxyConnection;

  beforeEach(async () => {
    echo = await startEchoServer();
    conn = await connectDriver({
      proxies: [
        { name: 'svc', upstream: echo.address },
        { name: 'web', upstream: echo.address, cohort: { mode: 'http', key: 'header:x-user', canary: 0.1, control: 0.1, salt: 's' } },
      ],
    });
  });
  afterEach(async () => {
    await proxyDriver.disconnect!(conn);
    await echo.close();
  });

  const cases: { fault: FaultType<any, ToxicFaultState, ProxyConnection>; attrs: Record<string, unknown>; toxic: Record<string, unknown>; proxy?: string }[] = [
    { fault: proxyLatency, attrs: { latency: '300ms', jitter: '10ms' }, toxic: { type: 'latency', stream: 'downstream', attributes: { latency: 300, jitter: 10 } } },
    { fault: proxyBandwidth, attrs: { rate: 50, stream: 'upstream' }, toxic: { type: 'bandwidth', stream: 'upstream', attributes: { rate: 50 } } },
    { fault: proxyTimeout, attrs: { timeout: '2s', toxicity: '50%' }, toxic: { type: 'timeout', toxicity: 0.5, attributes: { timeout: 2000 } } },
    { fault: proxyReset, attrs: { timeout: '100ms' }, toxic: { type: 'reset_peer', attributes: { timeout: 100 } } },
    { fault: proxySlicer, attrs: { averageSize: 100, sizeVariation: 10, delay: '1ms' }, toxic: { type: 'slicer', attributes: { average_size: 100, size_variation: 10, delay: 1000 } } },
    { fault: proxyLimitData, attrs: { bytes: '1KB', cohort: 'all' }, toxic: { type: 'limit_data', attributes: { bytes: 1000, cohort: 'all' } } },
    { fault: proxySlowClose, attrs: { delay: '2s' }, toxic: { type: 'slow_close', attributes: { delay: 2000 } } },
    { fault: proxyAbort, proxy: 'web', attrs: { status: 503, cohort: 'control' }, toxic: { type: 'http_abort', attributes: { status: 503, cohort: 'control' } } },
  ];

  for (const { fault, attrs, toxic, proxy = 'svc' } of cases) {
    it(`${fault.type}: apply (twice), verify, revert from the ledgered state in a fresh connection, revert again`, async () => {
      const ctx = faultCtx(conn);
      const state = await fault.prepare(ctx, parsed(fault, { proxy, ...attrs }));
      assert.equal(state.toxic, `fb-${ctx.instanceId}`);
      assert.equal(await toxicOn(conn, proxy, state.toxic), undefined, 'prepare changes nothing');
      await fault.apply(ctx, state);
      await fault.apply(ctx, state);
      const shown = await toxicOn(conn, proxy, state.toxic);
      for (const [k, v] of Object.entries(toxic)) assert.deepEqual(shown[k], v, k);
      assert.equal((await fault.verify!(ctx, state)).ok, false, 'verify sees the toxic before the revert');
      const fresh = await connectDriver({ url: conn.url });
      const freshCtx = faultCtx(fresh, ctx.instanceId);
      const ledgered = JSON.parse(JSON.stringify(state)) as ToxicFaultState;
      await fault.revert(freshCtx, ledgered);
      assert.equal(await toxicOn(conn, proxy, state.toxic), undefined);
      assert.deepEqual(await fault.verify!(freshCtx, ledgered), { ok: true });
      await fault.revert(ctx, state);
      assert.deepEqual(await fault.verify!(ctx, state), { ok: true });
      await proxyDriver.disconnect!(fresh);
    });
  }

  it('proxy.latency slows a real connection and the revert restores it', async () => {
    const ctx = faultCtx(conn);
    const s = await connectTo(portOf(conn, 'svc'));
    const state = await proxyLatency.prepare(ctx, parsed(proxyLatency, { proxy: 'svc', latency: '300ms' }));
    await proxyLatency.apply(ctx, state);
    assert.ok((await roundTrip(s, 'slow')).ms >= 290);
    await proxyLatency.revert(ctx, state);
    assert.ok((await roundTrip(s, 'fast')).ms < 250);
    s.destroy();
  });

  it('proxy.reset resets a real connection', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyReset.prepare(ctx, parsed(proxyReset, { proxy: 'svc' }));
    await proxyReset.apply(ctx, state);
    const s = await connectTo(portOf(conn, 'svc'));
    const done = closed(s);
    s.write('x');
    assert.equal((await done)?.code, 'ECONNRESET');
    await proxyReset.revert(ctx, state);
  });

  it('reverts a fault whose apply never ran', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyLatency.prepare(ctx, parsed(proxyLatency, { proxy: 'svc', latency: '1s' }));
    await proxyLatency.revert(ctx, state);
    assert.equal((await proxyLatency.verify!(ctx, state)).ok, true);
  });

  it('removes only the toxic it added', async () => {
    const a = faultCtx(conn, 'first');
    const b = faultCtx(conn, 'second');
    const sa = await proxyLatency.prepare(a, parsed(proxyLatency, { proxy: 'svc', latency: '10ms' }));
    const sb = await proxyLatency.prepare(b, parsed(proxyLatency, { proxy: 'svc', latency: '20ms' }));
    await proxyLatency.apply(a, sa);
    await proxyLatency.apply(b, sb);
    await proxyLatency.revert(a, sa);
    assert.equal(await toxicOn(conn, 'svc', 'fb-first'), undefined);
    assert.equal((await toxicOn(conn, 'svc', 'fb-second')).attributes.latency, 20);
    await proxyLatency.revert(b, sb);
  });

  it('reverts from the ledgered state alone, in a fresh connection', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyLatency.prepare(ctx, parsed(proxyLatency, { proxy: 'svc', latency: '1s' }));
    await proxyLatency.apply(ctx, state);
    const ledgered = JSON.parse(JSON.stringify(state)) as ToxicFaultState;
    const fresh = await connectDriver({ url: conn.url });
    assert.equal(fresh.embedded, false);
    const freshCtx = faultCtx(fresh, ctx.instanceId);
    await proxyLatency.revert(freshCtx, ledgered);
    assert.deepEqual(await proxyLatency.verify!(freshCtx, ledgered), { ok: true });
    assert.equal(await toxicOn(conn, 'svc', state.toxic), undefined);
    await proxyDriver.disconnect!(fresh);
  });

  it('fails a revert it cannot confirm when the server was not its own', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyLatency.prepare(ctx, parsed(proxyLatency, { proxy: 'svc', latency: '1s' }));
    const url = conn.url;
    await proxyDriver.disconnect!(conn);
    conn = await connectDriver({ proxies: [{ name: 'svc', upstream: echo.address }] });
    await assert.rejects(proxyLatency.revert(faultCtx(conn), { ...state, url, embedded: false }), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_PROXY'));
  });

  it('refuses to prepare a fault on a proxy that does not exist', async () => {
    await assert.rejects(
      proxyLatency.prepare(faultCtx(conn), parsed(proxyLatency, { proxy: 'ghost', latency: '1s' })),
      (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_PROXY') && /no proxy named "ghost"/.test((err as Error).message),
    );
  });
});

describe('proxy driver when the embedded server is gone', () => {
  it('treats the toxic as gone with its process: revert and verify succeed', async () => {
    const echo = await startEchoServer();
    const conn = await connectDriver({ proxies: [{ name: 'svc', upstream: echo.address }] });
    const ctx = faultCtx(conn);
    const state = await proxyTimeout.prepare(ctx, parsed(proxyTimeout, { proxy: 'svc' }));
    await proxyTimeout.apply(ctx, state);
    await proxyDriver.disconnect!(conn);
    assert.equal(state.embedded, true);
    await proxyTimeout.revert(ctx, state);
    assert.equal((await proxyTimeout.verify!(ctx, state)).ok, true);
    await echo.close();
  });
});
