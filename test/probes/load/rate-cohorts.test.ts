import { strict as assert } from 'node:assert';
import { cohortOf, parseStickyKey, stickyKeyOf } from '../../../src/cohort/sticky.js';
import { silentLogger } from '../../../src/log.js';
import { LoadGenerator } from '../../../src/probes/load/index.js';
import type { CohortInterval, CohortName } from '../../../src/signals/types.js';
import { loadAttrs, runLoad, sleep, startServer, type TestServer } from './servers.js';

describe('load generator: rate and cohorts', function () {
  this.timeout(20_000);
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('holds 200 req/s for 3 s within 10%, in contiguous intervals that add up', async () => {
    let served = 0;
    server = await startServer((req, res) => {
      served += 1;
      req.resume();
      res.end('hello');
    });
    const gen = new LoadGenerator(loadAttrs({ url: server.url, rate: 200 }));
    const intervals: CohortInterval[] = [];
    await gen.start({ signal: new AbortController().signal, logger: silentLogger() });
    try {
      for (let i = 0; i < 6; i++) {
        await sleep(500);
        intervals.push((await gen.collect()).untouched!);
      }
    } finally {
      await gen.stop();
    }
    intervals.push((await gen.collect()).untouched!);
    const total = intervals.reduce((s, i) => s + i.requests, 0);
    assert.ok(Math.abs(total - 600) <= 60, `sent ${total} requests in 3 s at 200/s`);
    assert.equal(total, served, 'every request the server answered was counted once');
    for (let i = 1; i < intervals.length; i++) assert.equal(intervals[i]!.start, intervals[i - 1]!.end, 'intervals are contiguous');
    for (const i of intervals) {
      assert.equal(i.latencyOk.count + i.latencyFailed.count, i.requests, 'one latency sample per request');
      assert.equal(i.bytes, i.requests * 'hello'.length);
      assert.equal(i.droppedSends, 0);
    }
    const middle = intervals.slice(1, 5).map((i) => i.requests);
    for (const n of middle) assert.ok(n >= 70 && n <= 130, `a 500 ms interval held ${n} requests (expected about 100)`);
  });

  const keySources: { key: string; users?: Record<string, unknown> }[] = [
    { key: 'header:x-user-id' },
    { key: 'cookie:session' },
    { key: 'client-address', users: { count: 200 } },
  ];
  for (const { key, users } of keySources) {
    it(`splits traffic into cohorts exactly as the proxy would, keyed by ${key}`, async () => {
      const salt = 'exp-42';
      const shares = { canary: 0.25, control: 0.25 };
      const source = parseStickyKey(key)!;
      const seen: Record<CohortName, number> = { canary: 0, control: 0, untouched: 0 };
      const keys = new Set<string>();
      server = await startServer((req, res) => {
        const k = stickyKeyOf(source, req.headers, req.socket.remoteAddress?.replace(/^::ffff:/, ''));
        if (k === undefined) {
          res.statusCode = 400;
        } else {
          keys.add(k);
          seen[cohortOf(k, salt, shares)] += 1;
        }
        req.resume();
        res.end();
      });
      const { intervals } = await runLoad({ url: server.url, rate: 400, users, cohort: { key, salt, ...shares } }, 1200);
      const total = (intervals.canary?.requests ?? 0) + (intervals.control?.requests ?? 0) + (intervals.untouched?.requests ?? 0);
      assert.ok(total >= 400, `only ${total} requests`);
      for (const c of ['canary', 'control', 'untouched'] as const) {
        const iv = intervals[c]!;
        assert.equal(iv.requests, seen[c], `${c}: the generator and the server agree on the cohort of every request`);
        assert.equal(iv.errors, 0);
        assert.equal(iv.latencyOk.count, iv.requests);
      }
      assert.ok(keys.size > 50, `requests spread over ${keys.size} user keys`);
      const canaryShare = intervals.canary!.requests / total;
      const controlShare = intervals.control!.requests / total;
      assert.ok(canaryShare > 0.12 && canaryShare < 0.38, `canary share ${canaryShare}`);
      assert.ok(controlShare > 0.12 && controlShare < 0.38, `control share ${controlShare}`);
    });
  }

  it('stops sending by itself after `duration`', async () => {
    server = await startServer((req, res) => res.end());
    const { intervals, gen } = await runLoad({ url: server.url, rate: 100, duration: '300ms' }, 700);
    const n = intervals.untouched!.requests;
    assert.ok(n >= 20 && n <= 31, `${n} requests in a 300 ms run at 100/s`);
    assert.equal(gen.stats().scheduled, n);
  });

  it('reports only the untouched cohort when no cohort is configured', async () => {
    server = await startServer((req, res) => res.end());
    const { intervals } = await runLoad({ url: server.url, rate: 100 }, 300);
    assert.deepEqual(Object.keys(intervals), ['untouched']);
    assert.ok(intervals.untouched!.requests >= 20);
  });

  it('sends the configured request mix in its weights, with headers and bodies', async () => {
    const byRoute: Record<string, number> = {};
    const bodies: string[] = [];
    server = await startServer((req, res) => {
      const route = `${req.method} ${req.url}`;
      byRoute[route] = (byRoute[route] ?? 0) + 1;
      if (req.method === 'POST') assert.equal(req.headers['content-type'], 'application/json');
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (body) bodies.push(body);
        res.end(req.headers['x-tenant'] ?? '');
      });
    });
    const { intervals, gen } = await runLoad(
      {
        url: `${server.url}/api`,
        rate: 300,
        requests: [
          { path: '/items?page=1', weight: 3, headers: { 'x-tenant': 'blue' } },
          { method: 'post', path: '/orders', body: { sku: 'A1', qty: 2 } },
        ],
      },
      1000,
    );
    const total = intervals.untouched!.requests;
    assert.equal(total, gen.stats().completed);
    const items = byRoute['GET /api/items?page=1'] ?? 0;
    const orders = byRoute['POST /api/orders'] ?? 0;
    assert.equal(items + orders, total);
    // Smooth weighted round-robin keeps the 3:1 split exact to within one request per cycle.
    assert.ok(Math.abs(items - 3 * orders) <= 4, `items ${items}, orders ${orders}`);
    assert.ok(bodies.every((b) => b === '{"sku":"A1","qty":2}'));
  });
});
