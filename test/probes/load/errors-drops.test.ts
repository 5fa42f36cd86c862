import { strict as assert } from 'node:assert';
import { silentLogger } from '../../../src/log.js';
import { LoadGenerator } from '../../../src/probes/load/index.js';
import { summarizeWindow } from '../../../src/signals/window.js';
import { loadAttrs, runLoad, sleep, startServer, type TestServer } from './servers.js';

describe('load generator: errors, drops and its own lag', function () {
  this.timeout(20_000);
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('counts 5xx answers and connection resets as errors, and nothing else', async () => {
    const served = { ok: 0, fail: 0, reset: 0, teapot: 0 };
    server = await startServer((req, res) => {
      req.resume();
      if (req.url === '/fail') {
        served.fail += 1;
        res.statusCode = 503;
        res.end('unavailable');
      } else if (req.url === '/reset') {
        served.reset += 1;
        req.socket.destroy();
      } else if (req.url === '/teapot') {
        served.teapot += 1;
        res.statusCode = 418;
        res.end();
      } else {
        served.ok += 1;
        res.end('ok');
      }
    });
    const requests = [{ path: '/ok', weight: 2 }, { path: '/fail' }, { path: '/reset' }, { path: '/teapot' }];
    const { gen, intervals } = await runLoad({ url: server.url, rate: 250, requests }, 1000);
    const u = intervals.untouched!;
    assert.ok(u.requests >= 150, `requests ${u.requests}`);
    // A GET reset on a kept-alive connection before any answer is sent once more on a new one (where
    // this server resets it again): the server counts both attempts, the generator one failed request.
    const retried = gen.stats().retried;
    assert.ok(retried <= served.reset / 2 + 1, `retried ${retried} of ${served.reset} resets`);
    assert.equal(u.requests + retried, served.ok + served.fail + served.reset + served.teapot);
    assert.equal(u.errors, served.fail + served.reset - retried, '503s and resets are errors (a repeated one once); 418 is not by default');
    assert.ok(served.reset > 20 && served.fail > 20);
    assert.equal(u.latencyFailed.count, u.errors);
    assert.equal(u.latencyOk.count, served.ok + served.teapot);
  });

  it('follows a custom errorStatus rule', async () => {
    server = await startServer((req, res) => {
      req.resume();
      res.statusCode = req.url === '/limited' ? 429 : req.url === '/teapot' ? 418 : 500;
      res.end();
    });
    const requests = [{ path: '/limited' }, { path: '/teapot' }, { path: '/boom' }];
    const { intervals } = await runLoad({ url: server.url, rate: 150, requests, errorStatus: [429, '5xx'] }, 600);
    const u = intervals.untouched!;
    // Exactly two of every three requests (429 and 500) are errors, by the round-robin mix.
    assert.ok(Math.abs(u.errors - (2 * u.requests) / 3) <= 2, `errors ${u.errors} of ${u.requests}`);
  });

  it('times requests out as errors, with their latency from the scheduled send', async () => {
    server = await startServer((req) => req.resume()); // never answers
    const { intervals, gen } = await runLoad({ url: server.url, rate: 50, timeout: '200ms' }, 600);
    const u = intervals.untouched!;
    assert.ok(u.requests >= 20, `requests ${u.requests}`);
    assert.equal(u.errors, u.requests);
    assert.equal(u.latencyOk.count, 0);
    const min = u.latencyFailed.summary().min;
    assert.ok(min >= 195 && min < 1000, `shortest failed latency ${min} ms`);
    assert.equal(gen.stats().inFlight, 0);
  });

  it('drops and counts sends once maxInFlight requests hang, instead of queueing them', async () => {
    server = await startServer((req) => req.resume()); // never answers
    const gen = new LoadGenerator(loadAttrs({ url: server.url, rate: 100, maxInFlight: 5, timeout: '10s' }));
    const ac = new AbortController();
    await gen.start({ signal: ac.signal, logger: silentLogger() });
    await sleep(1000);
    ac.abort(); // a cancelled run: stop() must not wait out the 10 s timeout
    const t0 = Date.now();
    await gen.stop();
    assert.ok(Date.now() - t0 < 1000, 'stop returns promptly after cancellation');
    const u = (await gen.collect()).untouched!;
    const stats = gen.stats();
    assert.equal(stats.sent, 5);
    assert.ok(u.droppedSends! >= 80 && u.droppedSends! <= 105, `dropped ${u.droppedSends}`);
    assert.equal(stats.dropped, u.droppedSends);
    assert.equal(stats.abandoned, 5);
    assert.equal(u.requests, 0, 'requests cut off by stop() are not counted as answers');
  });

  it('stop() waits for in-flight requests to finish', async () => {
    server = await startServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('slow'), 300);
    });
    const gen = new LoadGenerator(loadAttrs({ url: server.url, rate: 50 }));
    await gen.start({ signal: new AbortController().signal, logger: silentLogger() });
    await sleep(400);
    const inFlight = gen.stats().inFlight;
    await gen.stop();
    const u = (await gen.collect()).untouched!;
    assert.ok(inFlight >= 5, `in flight at stop: ${inFlight}`);
    assert.equal(gen.stats().inFlight, 0);
    assert.equal(gen.stats().abandoned, 0);
    assert.equal(u.requests, gen.stats().sent);
    assert.equal(u.errors, 0);
  });

  it('measures its own lag when the event loop is blocked, and marks the window untrustworthy', async () => {
    server = await startServer((req, res) => {
      req.resume();
      res.end();
    });
    const block = async (): Promise<void> => {
      await sleep(300);
      const t = Date.now();
      while (Date.now() - t < 150) {
        // busy: nothing else on this event loop can run, the generator included
      }
    };
    const { intervals } = await runLoad({ url: server.url, rate: 200, maxLag: '10ms' }, 800, block);
    const u = intervals.untouched!;
    assert.ok(u.lateSends! >= 10, `late sends ${u.lateSends}`);
    assert.ok(u.generatorLagMs! >= 100, `generator lag ${u.generatorLagMs} ms`);
    // Sends held back by the block still left (late) and their latency includes the wait.
    assert.ok(u.latencyOk.summary().max >= 100, `max latency ${u.latencyOk.summary().max} ms`);
    const w = summarizeWindow('untouched', [u], u.start, u.end, { maxLagMs: 10 });
    assert.equal(w.generator?.trustworthy, false);
    assert.match(w.generator?.note ?? '', /left late .* beyond the 5% late .*worst lag was \d+(\.\d+)? ms/);
  });
});
