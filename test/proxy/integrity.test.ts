import { strict as assert } from 'node:assert';
import { addToxic, createProxy, useEchoProxy } from './helpers/fixture.js';
import { connectTo, randomPayload, readAll, sha256, startSendServer, writeAllAndEnd } from './helpers/net.js';

const SIZE = 4 * 1024 * 1024;

// The promise: every byte given to the proxy arrives, once, in order, unless a toxic's behaviour drops it.
describe('data integrity through the TCP proxy', function () {
  this.timeout(30_000);
  const fx = useEchoProxy();
  const payload = randomPayload(SIZE);
  const digest = sha256(payload);

  const cases: [string, Record<string, unknown>[]][] = [
    ['no toxic', []],
    ['latency with jitter', [{ type: 'latency', attributes: { latency: 20, jitter: 15 } }]],
    ['bandwidth at a high rate', [{ type: 'bandwidth', attributes: { rate: 100_000 } }]],
    ['slicer', [{ type: 'slicer', attributes: { average_size: 2000, size_variation: 1500, delay: 10 } }]],
    ['slow_close', [{ type: 'slow_close', attributes: { delay: 50 } }]],
    ['limit_data above the size', [{ type: 'limit_data', attributes: { bytes: SIZE * 2 } }]],
    ['noop', [{ type: 'noop' }]],
    ['timeout with toxicity 0', [{ type: 'timeout', toxicity: 0, attributes: { timeout: 0 } }]],
    ['reset_peer with toxicity 0', [{ type: 'reset_peer', toxicity: 0, attributes: { timeout: 0 } }]],
    ['latency with toxicity 0', [{ type: 'latency', toxicity: 0, attributes: { latency: 5000 } }]],
    [
      'latency, slicer, bandwidth and slow_close stacked',
      [
        { name: 'l', type: 'latency', attributes: { latency: 10, jitter: 10 } },
        { name: 's', type: 'slicer', attributes: { average_size: 4000, size_variation: 3000 } },
        { name: 'b', type: 'bandwidth', attributes: { rate: 200_000 } },
        { name: 'c', type: 'slow_close', attributes: { delay: 20 } },
      ],
    ],
  ];

  for (const [label, toxics] of cases) {
    it(`keeps ${SIZE / 1024 / 1024} MB intact both ways: ${label}`, async () => {
      for (const stream of ['upstream', 'downstream']) {
        for (const t of toxics) await addToxic(fx.server, 'echo', { ...t, ...(t.name ? { name: `${t.name}_${stream}` } : {}), stream });
      }
      const s = await connectTo(fx.port);
      const reply = readAll(s, 25_000);
      await writeAllAndEnd(s, payload);
      const got = await reply;
      assert.equal(got.length, payload.length);
      assert.equal(sha256(got), digest);
    });
  }

  it('keeps independent streams intact in both directions at once', async () => {
    const down = randomPayload(SIZE);
    const received: Buffer[][] = [];
    const send = await startSendServer(down, received);
    const p = await createProxy(fx.server, 'send', send.address);
    for (const stream of ['upstream', 'downstream']) {
      await addToxic(fx.server, 'send', { name: `l_${stream}`, type: 'latency', stream, attributes: { latency: 5, jitter: 5 } });
      await addToxic(fx.server, 'send', { name: `s_${stream}`, type: 'slicer', stream, attributes: { average_size: 3000, size_variation: 1000 } });
    }
    const s = await connectTo(p);
    const reply = readAll(s, 25_000);
    await writeAllAndEnd(s, payload);
    assert.equal(sha256(await reply), sha256(down), 'downstream intact');
    const up = Buffer.concat(received[0]!);
    for (let i = 0; i < 200 && up.length < SIZE; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sha256(Buffer.concat(received[0]!)), digest, 'upstream intact');
    await send.close();
  });
});
