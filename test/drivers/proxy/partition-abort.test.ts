import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cohortOf } from '../../../src/cohort/sticky.js';
import { isFirebreakError } from '../../../src/errors.js';
import { proxyAbort, proxyDriver, proxyPartition, type ProxyConnection } from '../../../src/drivers/proxy/index.js';
import { connectTo, roundTrip, startEchoServer, type TestServer } from '../../proxy/helpers/net.js';
import { callCtx, config, connectDriver, faultCtx, parsed } from './helpers.js';

describe('proxy.partition', () => {
  let echo: TestServer;
  let conn: ProxyConnection;
  beforeEach(async () => {
    echo = await startEchoServer();
    conn = await connectDriver({ proxies: [{ name: 'up', upstream: echo.address }, { name: 'down', upstream: echo.address, enabled: false }] });
  });
  afterEach(async () => {
    await proxyDriver.disconnect!(conn);
    await echo.close();
  });

  it('takes the proxy down and brings it back on the same address', async () => {
    const port = Number(conn.server!.proxy('up')!.listen.split(':')[1]);
    const ctx = faultCtx(conn);
    const state = await proxyPartition.prepare(ctx, parsed(proxyPartition, { proxy: 'up' }));
    assert.equal(state.wasEnabled, true);
    await proxyPartition.apply(ctx, state);
    await assert.rejects(connectTo(port), /ECONNREFUSED/);
    assert.deepEqual(await proxyPartition.verify!(ctx, state), { ok: false, detail: 'proxy "up" is still disabled' });
    await proxyPartition.revert(ctx, state);
    await proxyPartition.revert(ctx, state);
    assert.deepEqual(await proxyPartition.verify!(ctx, state), { ok: true });
    const s = await connectTo(port);
    assert.equal((await roundTrip(s, 'back')).reply.toString(), 'back');
    s.destroy();
  });

  it('leaves a proxy that was already disabled disabled', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyPartition.prepare(ctx, parsed(proxyPartition, { proxy: 'down' }));
    assert.equal(state.wasEnabled, false);
    await proxyPartition.apply(ctx, state);
    await proxyPartition.revert(ctx, state);
    assert.equal(conn.server!.proxy('down')!.enabled, false);
    assert.deepEqual(await proxyPartition.verify!(ctx, state), { ok: true });
  });

  it('reverts from state in a fresh connection, and succeeds once the embedded server is gone', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyPartition.prepare(ctx, parsed(proxyPartition, { proxy: 'up' }));
    await proxyPartition.apply(ctx, state);
    const fresh = await connectDriver({ url: conn.url });
    await proxyPartition.revert(faultCtx(fresh), JSON.parse(JSON.stringify(state)));
    assert.equal(conn.server!.proxy('up')!.enabled, true);
    await proxyDriver.disconnect!(fresh);
    await proxyPartition.apply(ctx, state);
    await proxyDriver.disconnect!(conn);
    await proxyPartition.revert(ctx, state);
    assert.equal((await proxyPartition.verify!(ctx, state)).ok, true);
  });
});

describe('proxy.abort', () => {
  const cohort = { mode: 'http', key: 'header:x-user', canary: 0.5, control: 0.25, salt: 'abc' };
  let web: Server;
  let upstream: string;
  let conn: ProxyConnection;
  before(async () => {
    web = createServer((_q, r) => r.end('fine'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    upstream = `127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => web.close(() => r())));
  beforeEach(async () => {
    conn = await connectDriver({ proxies: [{ name: 'web', upstream, cohort }, { name: 'tcp', upstream }] });
  });
  afterEach(async () => proxyDriver.disconnect!(conn));

  const user = (want: string): string => {
    for (let i = 0; ; i++) if (cohortOf(`u${i}`, cohort.salt, cohort) === want) return `u${i}`;
  };
  const status = async (who: string): Promise<number> => {
    const res = await fetch(`http://${conn.server!.proxy('web')!.listen}/`, { headers: { 'x-user': who }, signal: AbortSignal.timeout(5000) });
    await res.text();
    return res.status;
  };

  it('answers the canary cohort with the status until reverted', async () => {
    const ctx = faultCtx(conn);
    const state = await proxyAbort.prepare(ctx, parsed(proxyAbort, { proxy: 'web', status: 503 }));
    await proxyAbort.apply(ctx, state);
    assert.equal(await status(user('canary')), 503);
    assert.equal(await status(user('control')), 200);
    await proxyAbort.revert(ctx, state);
    assert.equal(await status(user('canary')), 200);
    assert.deepEqual(await proxyAbort.verify!(ctx, state), { ok: true });
  });

  it('refuses a proxy that is not in cohort mode', async () => {
    await assert.rejects(
      proxyAbort.prepare(faultCtx(conn), parsed(proxyAbort, { proxy: 'tcp', status: 500 })),
      (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_PROXY') && /cohort mode/.test((err as Error).message),
    );
  });
});

describe('proxy driver connect', () => {
  it('drives an existing server given by url and populates it', async () => {
    const echo = await startEchoServer();
    const own = await connectDriver({});
    const conn = await connectDriver({ url: own.url, proxies: [{ name: 'late', upstream: echo.address, listen: '127.0.0.1:0' }] });
    assert.equal(conn.embedded, false);
    assert.ok(own.server!.proxy('late'));
    await proxyDriver.disconnect!(conn);
    assert.ok(own.server!.proxy('late'), 'disconnecting a non-embedded connection leaves the server alone');
    await proxyDriver.disconnect!(own);
    await echo.close();
  });

  it('reports an API that does not answer as FIREBREAK_E_DRIVER_UNREACHABLE', async () => {
    const own = await connectDriver({});
    const url = own.url;
    await proxyDriver.disconnect!(own);
    await assert.rejects(proxyDriver.connect(config({ url }), callCtx()), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_DRIVER_UNREACHABLE'));
  });

  it('fails with FIREBREAK_E_PROXY when populate is refused', async () => {
    const echo = await startEchoServer();
    await assert.rejects(
      connectDriver({ proxies: [{ name: 'clash', upstream: echo.address, listen: echo.address }] }),
      (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_PROXY') && /HTTP 500/.test((err as Error).message),
    );
    await echo.close();
  });
});
