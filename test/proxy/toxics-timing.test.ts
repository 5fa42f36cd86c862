import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { sliceOffsets } from '../../src/proxy/index.js';
import { addToxic, createProxy, useEchoProxy } from './helpers/fixture.js';
import { connectTo, randomPayload, readAll, roundTrip, startSendServer } from './helpers/net.js';

// Toxics that shape timing, on real sockets; the tolerances are wide on purpose (bench/ measures accuracy).
describe('TCP toxics that shape timing', () => {
  const fx = useEchoProxy();

  describe('latency', () => {
    it('delays the downstream by latency', async () => {
      await addToxic(fx.server, 'echo', { type: 'latency', attributes: { latency: 200 } });
      const s = await connectTo(fx.port);
      const { ms, reply } = await roundTrip(s, 'hello');
      assert.equal(reply.toString(), 'hello');
      assert.ok(ms >= 195 && ms < 1200, `round trip ${ms} ms`);
      s.destroy();
    });

    it('delays the upstream too, and both add up', async () => {
      await addToxic(fx.server, 'echo', { type: 'latency', stream: 'upstream', attributes: { latency: 150 } });
      await addToxic(fx.server, 'echo', { type: 'latency', stream: 'downstream', attributes: { latency: 150 } });
      const s = await connectTo(fx.port);
      const { ms } = await roundTrip(s, 'x');
      assert.ok(ms >= 295 && ms < 1500, `round trip ${ms} ms`);
      s.destroy();
    });

    it('keeps each delay within latency ± jitter', async () => {
      await addToxic(fx.server, 'echo', { type: 'latency', attributes: { latency: 100, jitter: 50 } });
      const s = await connectTo(fx.port);
      for (let i = 0; i < 5; i++) {
        const { ms } = await roundTrip(s, `m${i}`);
        assert.ok(ms >= 48 && ms < 1000, `round trip ${ms} ms`);
      }
      s.destroy();
    });

    it('does not accumulate over back-to-back messages (delay counts from arrival)', async () => {
      await addToxic(fx.server, 'echo', { type: 'latency', attributes: { latency: 200 } });
      const s = await connectTo(fx.port);
      const start = performance.now();
      const all = new Promise<number>((resolve) => {
        let got = 0;
        s.on('data', (b: Buffer) => {
          got += b.length;
          if (got >= 50) resolve(performance.now() - start);
        });
      });
      for (let i = 0; i < 5; i++) {
        s.write('0123456789');
        await new Promise((r) => setTimeout(r, 20));
      }
      const ms = await all;
      assert.ok(ms >= 195 && ms < 900, `five messages took ${ms} ms, not 5 × 200`);
      s.destroy();
    });
  });

  describe('bandwidth', () => {
    it('limits the rate to rate KB/s', async () => {
      const payload = randomPayload(60_000);
      const send = await startSendServer(payload);
      const p = await createProxy(fx.server, 'send', send.address);
      await addToxic(fx.server, 'send', { type: 'bandwidth', attributes: { rate: 100 } });
      const s = await connectTo(p);
      const start = performance.now();
      const got = await readAll(s);
      const ms = performance.now() - start;
      assert.equal(got.length, payload.length);
      assert.ok(ms >= 500 && ms < 3000, `60 KB at 100 KB/s took ${ms} ms (expected about 600)`);
      await send.close();
    });

    it('passes at full speed with rate 0', async () => {
      const payload = randomPayload(2_000_000);
      const send = await startSendServer(payload);
      const p = await createProxy(fx.server, 'send', send.address);
      await addToxic(fx.server, 'send', { type: 'bandwidth', attributes: { rate: 0 } });
      const s = await connectTo(p);
      const start = performance.now();
      assert.equal((await readAll(s)).length, payload.length);
      assert.ok(performance.now() - start < 3000);
      await send.close();
    });
  });

  describe('slicer', () => {
    it('cuts data into small pieces, delay µs apart, without changing it', async () => {
      const payload = randomPayload(20_000);
      const send = await startSendServer(payload);
      const p = await createProxy(fx.server, 'send', send.address);
      await addToxic(fx.server, 'send', { type: 'slicer', attributes: { average_size: 200, size_variation: 50, delay: 2000 } });
      const s = await connectTo(p);
      let reads = 0;
      s.on('data', () => reads++);
      const start = performance.now();
      const got = await readAll(s);
      const ms = performance.now() - start;
      assert.ok(got.equals(payload), 'same bytes in the same order');
      assert.ok(reads >= 20, `${reads} reads: the data arrived in pieces`);
      assert.ok(ms >= 100, `about 100 pieces 2 ms apart took ${ms} ms`);
      await send.close();
    });

    it('computes piece offsets around the average size', () => {
      for (const [size, avg, variation] of [
        [10_000, 100, 20],
        [1000, 100, 0],
        [5, 100, 20],
        [777, 1, 0],
      ] as const) {
        const cuts = sliceOffsets(size, avg, variation);
        assert.equal(cuts[0], 0);
        assert.equal(cuts.at(-1), size);
        for (let i = 1; i < cuts.length; i++) {
          const piece = cuts[i]! - cuts[i - 1]!;
          assert.ok(piece > 0 && piece <= Math.max(avg + variation, 1), `piece of ${piece} bytes for ${size}/${avg}±${variation}`);
        }
      }
    });
  });

  describe('slow_close', () => {
    it('holds the FIN back for delay ms while data passes at once', async () => {
      const send = await startSendServer(Buffer.from('bye'));
      const p = await createProxy(fx.server, 'send', send.address);
      await addToxic(fx.server, 'send', { type: 'slow_close', attributes: { delay: 400 } });
      const s = await connectTo(p);
      let dataAt = 0;
      s.on('data', () => (dataAt = performance.now()));
      const start = performance.now();
      const got = await readAll(s);
      const endAt = performance.now();
      assert.equal(got.toString(), 'bye');
      assert.ok(dataAt - start < 350, `data came after ${dataAt - start} ms`);
      assert.ok(endAt - start >= 390 && endAt - start < 2500, `end came after ${endAt - start} ms`);
      await send.close();
    });
  });

  describe('toxicity', () => {
    it('rolls per connection: 0 spares every connection, 1 hits every one', async () => {
      await addToxic(fx.server, 'echo', { type: 'latency', toxicity: 0, attributes: { latency: 400 } });
      const spared = await connectTo(fx.port);
      assert.ok((await roundTrip(spared, 'a')).ms < 350);
      spared.destroy();
      await addToxic(fx.server, 'echo', { name: 'always', type: 'latency', toxicity: 1, attributes: { latency: 200 } });
      const hit = await connectTo(fx.port);
      assert.ok((await roundTrip(hit, 'b')).ms >= 195);
      hit.destroy();
    });

    it('with 0.5 hits some connections and spares others', async () => {
      await addToxic(fx.server, 'echo', { type: 'latency', toxicity: 0.5, attributes: { latency: 150 } });
      const times = await Promise.all(
        Array.from({ length: 24 }, async () => {
          const s = await connectTo(fx.port);
          const { ms } = await roundTrip(s, 'q');
          s.destroy();
          return ms;
        }),
      );
      const slow = times.filter((t) => t >= 145).length;
      assert.ok(slow > 0 && slow < times.length, `${slow} of ${times.length} connections delayed`);
    });
  });
});
