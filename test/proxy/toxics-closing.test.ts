import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { addToxic, createProxy, removeToxic, useEchoProxy } from './helpers/fixture.js';
import { closed, connectTo, randomPayload, readAll, startSendServer, waitFor } from './helpers/net.js';

// Toxics that stop data or end connections: timeout, reset_peer, limit_data.
describe('TCP toxics that stop data or close connections', () => {
  const fx = useEchoProxy();

  describe('timeout', () => {
    it('stops all data and closes the connection after timeout ms', async () => {
      await addToxic(fx.server, 'echo', { type: 'timeout', attributes: { timeout: 300 } });
      const s = await connectTo(fx.port);
      const start = performance.now();
      const reply = readAll(s);
      s.write('anyone there?');
      const got = await reply;
      const ms = performance.now() - start;
      assert.equal(got.length, 0, 'no data got through');
      assert.ok(ms >= 290 && ms < 2500, `closed after ${ms} ms`);
    });

    it('with 0 holds the connection open, and removing the toxic closes it', async () => {
      await addToxic(fx.server, 'echo', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
      const s = await connectTo(fx.port);
      const reply = readAll(s);
      s.write('held');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(s.destroyed, false, 'still open after 400 ms');
      assert.equal(fx.echo.sockets.length, 1);
      await removeToxic(fx.server, 'echo', 'timeout_upstream');
      const got = await reply;
      assert.equal(got.length, 0, 'the held data was never delivered');
    });

    it('applies back-pressure: a sender into a held connection stalls instead of filling memory', async () => {
      await addToxic(fx.server, 'echo', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
      const s = await connectTo(fx.port);
      const chunk = randomPayload(64 * 1024);
      let accepted = 0;
      let stalled = false;
      for (let i = 0; i < 640 && !stalled; i++) {
        if (!s.write(chunk)) {
          const drained = await Promise.race([new Promise<boolean>((r) => s.once('drain', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
          stalled = !drained;
        }
        if (!stalled) accepted += chunk.length;
      }
      assert.ok(stalled, 'the sender stalled');
      assert.ok(accepted < 24 * 1024 * 1024, `only ${(accepted / 1024 / 1024).toFixed(1)} MB of 40 MB accepted`);
      s.destroy();
    });
  });

  describe('reset_peer', () => {
    it('resets the client connection (ECONNRESET) when data arrives', async () => {
      await addToxic(fx.server, 'echo', { type: 'reset_peer', attributes: { timeout: 0 } });
      const s = await connectTo(fx.port);
      const done = closed(s);
      s.write('hello');
      const err = await done;
      assert.equal(err?.code, 'ECONNRESET');
    });

    it('waits timeout ms before the reset, and resets the upstream too', async () => {
      await addToxic(fx.server, 'echo', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 300 } });
      const s = await connectTo(fx.port);
      const done = closed(s);
      const start = performance.now();
      s.write('hello');
      const err = await done;
      const ms = performance.now() - start;
      assert.equal(err?.code, 'ECONNRESET');
      assert.ok(ms >= 290 && ms < 2500, `reset after ${ms} ms`);
      const upstream = fx.echo.sockets[0]!;
      await waitFor(() => upstream.destroyed, 3000, 'the upstream socket to close');
    });
  });

  describe('limit_data', () => {
    it('lets exactly `bytes` bytes through downstream, then closes', async () => {
      const payload = randomPayload(10_000);
      const send = await startSendServer(payload);
      const p = await createProxy(fx.server, 'send', send.address);
      await addToxic(fx.server, 'send', { type: 'limit_data', attributes: { bytes: 1000 } });
      const s = await connectTo(p);
      const got = await readAll(s);
      assert.ok(got.equals(payload.subarray(0, 1000)), `received ${got.length} bytes`);
      await send.close();
    });

    it('limits the upstream direction', async () => {
      const received: Buffer[][] = [];
      const send = await startSendServer(Buffer.alloc(0), received);
      const p = await createProxy(fx.server, 'send', send.address);
      await addToxic(fx.server, 'send', { type: 'limit_data', stream: 'upstream', attributes: { bytes: 1500 } });
      const s = await connectTo(p);
      const payload = randomPayload(5000);
      const ended = readAll(s);
      s.write(payload);
      await ended;
      await waitFor(() => fx.server.proxy('send')!.activeConnections === 0, 3000, 'the proxy to close the connection');
      await waitFor(() => Buffer.concat(received[0] ?? []).length >= 1500, 3000, 'the upstream to receive the allowed bytes');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(Buffer.concat(received[0]!).equals(payload.subarray(0, 1500)));
      await send.close();
    });
  });
});
