import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { addToxic, createProxy, removeToxic, updateToxic, useEchoProxy } from './helpers/fixture.js';
import { connectTo, randomPayload, readAll, readBytes, roundTrip, sha256, startSendServer, writeAllAndEnd } from './helpers/net.js';

// Toxics added, changed and removed while a connection is open act on it, and never lose or reorder data.
describe('changing toxics on open connections', function () {
  this.timeout(30_000);
  const fx = useEchoProxy();

  it('applies a toxic added after the connection opened, and stops when it is removed', async () => {
    const s = await connectTo(fx.port);
    assert.ok((await roundTrip(s, 'before')).ms < 150);
    await addToxic(fx.server, 'echo', { type: 'latency', attributes: { latency: 200 } });
    assert.ok((await roundTrip(s, 'during')).ms >= 195);
    await removeToxic(fx.server, 'echo', 'latency_downstream');
    assert.ok((await roundTrip(s, 'after')).ms < 150);
    s.destroy();
  });

  it('delivers data a removed toxic held at once, instead of dropping it', async () => {
    await addToxic(fx.server, 'echo', { type: 'latency', attributes: { latency: 3000 } });
    const s = await connectTo(fx.port);
    const start = performance.now();
    const reply = readBytes(s, 5);
    s.write('hello');
    await new Promise((r) => setTimeout(r, 150));
    await removeToxic(fx.server, 'echo', 'latency_downstream');
    assert.equal((await reply).toString(), 'hello');
    assert.ok(performance.now() - start < 1500);
    s.destroy();
  });

  it('re-times held data when the latency changes (counted from its arrival)', async () => {
    await addToxic(fx.server, 'echo', { type: 'latency', attributes: { latency: 3000 } });
    const s = await connectTo(fx.port);
    const start = performance.now();
    const reply = readBytes(s, 4);
    s.write('ping');
    await new Promise((r) => setTimeout(r, 100));
    await updateToxic(fx.server, 'echo', 'latency_downstream', { attributes: { latency: 400 } });
    await reply;
    const ms = performance.now() - start;
    assert.ok(ms >= 390 && ms < 1500, `arrived after ${ms} ms`);
    s.destroy();
  });

  it('keeps limit_data\'s count across an attribute change', async () => {
    const payload = randomPayload(3000);
    const send = await startSendServer(Buffer.alloc(0));
    const p = await createProxy(fx.server, 'up', send.address);
    await addToxic(fx.server, 'up', { type: 'limit_data', stream: 'upstream', attributes: { bytes: 2000 } });
    const s = await connectTo(p);
    const ended = readAll(s);
    s.write(payload.subarray(0, 1500));
    await new Promise((r) => setTimeout(r, 100));
    await updateToxic(fx.server, 'up', 'limit_data_upstream', { attributes: { bytes: 2500 } });
    s.write(payload.subarray(1500));
    await ended;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fx.server.proxy('up')!.stats.bytes.upstream.sent, 2500);
    await send.close();
  });

  it('loses and reorders nothing while toxics come and go under a steady stream', async () => {
    const chunk = 16 * 1024;
    const payload = randomPayload(chunk * 300);
    const s = await connectTo(fx.port);
    const reply = readAll(s, 25_000);
    const sending = (async () => {
      for (let off = 0; off < payload.length; off += chunk) {
        if (!s.write(payload.subarray(off, off + chunk))) await new Promise((r) => s.once('drain', r));
        await new Promise((r) => setTimeout(r, 3));
      }
      s.end();
    })();
    const steps: [number, () => Promise<unknown>][] = [
      [50, () => addToxic(fx.server, 'echo', { name: 'lat', type: 'latency', stream: 'upstream', attributes: { latency: 40, jitter: 30 } })],
      [50, () => addToxic(fx.server, 'echo', { name: 'cut', type: 'slicer', attributes: { average_size: 700, size_variation: 300, delay: 20 } })],
      [80, () => updateToxic(fx.server, 'echo', 'lat', { attributes: { latency: 5, jitter: 5 } })],
      [50, () => addToxic(fx.server, 'echo', { name: 'bw', type: 'bandwidth', attributes: { rate: 20_000 } })],
      [50, () => addToxic(fx.server, 'echo', { name: 'lat2', type: 'latency', attributes: { latency: 100 } })],
      [80, () => updateToxic(fx.server, 'echo', 'cut', { attributes: { average_size: 100, size_variation: 50 } })],
      [50, () => removeToxic(fx.server, 'echo', 'lat')],
      [50, () => updateToxic(fx.server, 'echo', 'bw', { toxicity: 0 })],
      [50, () => removeToxic(fx.server, 'echo', 'lat2')],
      [50, () => addToxic(fx.server, 'echo', { name: 'close', type: 'slow_close', attributes: { delay: 30 } })],
      [50, () => removeToxic(fx.server, 'echo', 'bw')],
      [50, () => removeToxic(fx.server, 'echo', 'cut')],
    ];
    for (const [wait, step] of steps) {
      await new Promise((r) => setTimeout(r, wait));
      await step();
    }
    await sending;
    const got = await reply;
    assert.equal(got.length, payload.length);
    assert.equal(sha256(got), sha256(payload));
  });

  it('switches between the fast path (no toxic) and the toxic chain mid-stream, at full speed, without losing or reordering a byte', async () => {
    const payload = randomPayload(64 * 1024 * 1024);
    const s = await connectTo(fx.port);
    const reply = readAll(s, 25_000);
    let sent = false;
    const sending = writeAllAndEnd(s, payload).then(() => (sent = true));
    const kinds: Record<string, unknown>[] = [
      { type: 'noop' },
      { type: 'latency', attributes: { latency: 1, jitter: 1 } },
      { type: 'slicer', attributes: { average_size: 1500, size_variation: 1000 } },
    ];
    let toggles = 0;
    // Each toggle adds a toxic to one direction and takes it away again: the link leaves the fast
    // path, holds data in the toxic, hands it on at removal, and goes back to the fast path.
    for (let i = 0; i < 60 && !sent; i++) {
      const stream = i % 2 ? 'downstream' : 'upstream';
      await addToxic(fx.server, 'echo', { name: 'flip', stream, ...kinds[i % kinds.length] });
      await new Promise((r) => setTimeout(r, 2));
      await removeToxic(fx.server, 'echo', 'flip');
      await new Promise((r) => setTimeout(r, 2));
      toggles++;
    }
    await sending;
    const got = await reply;
    assert.ok(toggles >= 5, `only ${toggles} toggles happened while data flowed`);
    assert.equal(got.length, payload.length);
    assert.equal(sha256(got), sha256(payload));
  });
});
