import assert from 'node:assert/strict';
import type { ToxicView } from '../../../src/proxy/http/handler.js';
import {
  CANARY_KEY,
  COHORT,
  CONTROL_KEY,
  UNTOUCHED_KEY,
  send,
  sendExpectingError,
  startFront,
  startUpstream,
  type Front,
  type Upstream,
} from './helpers.js';

function toxic(type: string, attributes: Record<string, unknown>, more: Partial<ToxicView> = {}): ToxicView {
  return { name: `${type}-1`, type, stream: 'downstream', toxicity: 1, attributes, ...more };
}

const user = (key: string) => ({ 'x-user': key });

describe('proxy/http toxics per cohort', () => {
  let upstream: Upstream;
  let front: Front;

  before(async () => {
    upstream = await startUpstream(200_000);
    front = await startFront(upstream.port, COHORT);
  });
  afterEach(() => front.handler.updateToxics([]));
  after(async () => {
    await front.close();
    await upstream.close();
  });

  for (const [type, stream] of [
    ['http_latency', 'downstream'],
    ['latency', 'upstream'],
  ] as const) {
    it(`${type} (${stream}) delays canary requests only`, async () => {
      front.handler.updateToxics([toxic(type, { latency: 400, jitter: 20 }, { stream })]);
      const canary = await send(front.port, { headers: user(CANARY_KEY) });
      const control = await send(front.port, { headers: user(CONTROL_KEY) });
      const untouched = await send(front.port);
      assert.equal(canary.status, 200);
      assert.ok(canary.ms >= 370, `canary took ${canary.ms} ms`);
      assert.ok(control.ms < 300, `control took ${control.ms} ms`);
      assert.ok(untouched.ms < 300, `untouched took ${untouched.ms} ms`);
    });
  }

  it('upstream latency holds the request back from the upstream; downstream latency holds the response', async () => {
    front.handler.updateToxics([toxic('http_latency', { latency: 400 }, { stream: 'upstream' })]);
    const before = upstream.requests.get('/delay') ?? 0;
    const pending = send(front.port, { path: '/delay?ms=0', headers: user(CANARY_KEY) });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(upstream.requests.get('/delay') ?? 0, before, 'not yet forwarded');
    await pending;
    assert.equal(upstream.requests.get('/delay'), before + 1);

    front.handler.updateToxics([toxic('http_latency', { latency: 400 }, { stream: 'downstream' })]);
    const pending2 = send(front.port, { path: '/delay?ms=0', headers: user(CANARY_KEY) });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(upstream.requests.get('/delay'), before + 2, 'forwarded at once');
    assert.equal((await pending2).status, 200);
  });

  it('http_abort answers canary requests with its status and body, without contacting upstream', async () => {
    front.handler.updateToxics([toxic('http_abort', { status: 503, body: 'chaos' })]);
    const before = upstream.requests.get('/ok') ?? 0;
    const canary = await send(front.port, { headers: user(CANARY_KEY) });
    assert.equal(canary.status, 503);
    assert.equal(canary.body.toString(), 'chaos');
    assert.equal(upstream.requests.get('/ok') ?? 0, before, 'upstream never saw it');
    const control = await send(front.port, { headers: user(CONTROL_KEY) });
    const untouched = await send(front.port, { headers: user(UNTOUCHED_KEY) });
    assert.equal(control.status, 200);
    assert.equal(untouched.status, 200);
    assert.equal(upstream.requests.get('/ok'), before + 2);
  });

  it('http_abort defaults to 503 and drains a request body, keeping the connection usable', async () => {
    front.handler.updateToxics([toxic('http_abort', {})]);
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(front.port, { agent, method: 'POST', path: '/echo', body: Buffer.alloc(100_000, 1), headers: user(CANARY_KEY) });
    const second = await send(front.port, { agent, headers: user(CONTROL_KEY) });
    agent.destroy();
    assert.equal(first.status, 503);
    assert.equal(second.status, 200);
    assert.equal(first.socket, second.socket, 'same client connection');
  });

  for (const type of ['http_reset', 'reset_peer']) {
    it(`${type} resets canary connections (ECONNRESET) and leaves the others alone`, async () => {
      front.handler.updateToxics([toxic(type, { timeout: 200 }, { stream: 'upstream' })]);
      const before = upstream.requests.get('/ok') ?? 0;
      const canary = await sendExpectingError(front.port, { headers: user(CANARY_KEY) });
      assert.equal(canary.error?.code, 'ECONNRESET', String(canary.error));
      assert.match(canary.error.message, /read ECONNRESET/, 'a TCP RST, not a plain close');
      assert.ok(canary.ms >= 170, `reset after ${canary.ms} ms`);
      assert.equal(upstream.requests.get('/ok') ?? 0, before, 'upstream stream: never forwarded');
      assert.equal((await send(front.port, { headers: user(CONTROL_KEY) })).status, 200);
      assert.equal((await send(front.port)).status, 200);
    });
  }

  it('http_reset on the downstream stream forwards the request and resets instead of answering', async () => {
    front.handler.updateToxics([toxic('http_reset', {})]);
    const before = upstream.requests.get('/ok') ?? 0;
    const canary = await sendExpectingError(front.port, { headers: user(CANARY_KEY) });
    assert.match(String(canary.error?.message), /read ECONNRESET/);
    assert.equal(upstream.requests.get('/ok'), before + 1, 'the upstream did the work');
  });

  for (const type of ['http_bandwidth', 'bandwidth']) {
    it(`${type} slows canary response bodies only, intact`, async () => {
      // 200 KB at 400 KB/s: about 500 ms for the canary.
      front.handler.updateToxics([toxic(type, { rate: 400 })]);
      const canary = await send(front.port, { path: '/blob', headers: user(CANARY_KEY) });
      const control = await send(front.port, { path: '/blob', headers: user(CONTROL_KEY) });
      assert.ok(canary.body.equals(upstream.blob), 'canary body intact');
      assert.ok(control.body.equals(upstream.blob), 'control body intact');
      assert.ok(canary.ms >= 400, `canary took ${canary.ms} ms`);
      assert.ok(canary.ms < 3000, `canary took ${canary.ms} ms`);
      assert.ok(control.ms < 300, `control took ${control.ms} ms`);
    });
  }

  it('bandwidth on the upstream stream slows the request body', async () => {
    front.handler.updateToxics([toxic('bandwidth', { rate: 400 }, { stream: 'upstream' })]);
    const body = Buffer.alloc(200_000, 7);
    const canary = await send(front.port, { method: 'POST', path: '/echo', body, headers: user(CANARY_KEY) });
    assert.ok(canary.body.equals(body));
    assert.ok(canary.ms >= 400, `canary took ${canary.ms} ms`);
  });

  it('timeout with a time closes canary connections after it, with no response', async () => {
    front.handler.updateToxics([toxic('timeout', { timeout: 300 }, { stream: 'upstream' })]);
    const canaryP = sendExpectingError(front.port, { headers: user(CANARY_KEY) });
    const control = await send(front.port, { headers: user(CONTROL_KEY) });
    const canary = await canaryP;
    assert.equal(control.status, 200);
    assert.ok(canary.error, 'canary got no response');
    assert.equal(canary.error.message, 'socket hang up', 'a plain close, not a reset');
    assert.ok(canary.ms >= 270, `closed after ${canary.ms} ms`);
  });

  it('timeout 0 holds canary requests until the toxic is removed, then closes them', async () => {
    front.handler.updateToxics([toxic('timeout', { timeout: 0 }, { name: 'hold' })]);
    let settled = false;
    const canaryP = sendExpectingError(front.port, { headers: user(CANARY_KEY) }).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(settled, false, 'still held');
    assert.equal((await send(front.port, { headers: user(CONTROL_KEY) })).status, 200);
    const removedAt = performance.now();
    front.handler.updateToxics([]);
    const canary = await canaryP;
    assert.ok(canary.error, 'closed without a response');
    assert.ok(performance.now() - removedAt < 1000, 'released promptly');
    assert.equal((await send(front.port, { headers: user(CANARY_KEY) })).status, 200, 'new canary requests pass');
  });

  it('timeout on the downstream stream forwards the request and drops the response', async () => {
    front.handler.updateToxics([toxic('timeout', { timeout: 200 })]);
    const before = upstream.requests.get('/ok') ?? 0;
    const canary = await sendExpectingError(front.port, { headers: user(CANARY_KEY) });
    assert.equal(canary.error?.message, 'socket hang up');
    assert.ok(canary.ms >= 170, `closed after ${canary.ms} ms`);
    assert.equal(upstream.requests.get('/ok'), before + 1, 'the upstream did the work');
  });

  it('a toxic with cohort "control" hits control only; "all" hits everyone', async () => {
    front.handler.updateToxics([toxic('http_abort', { status: 500, cohort: 'control' })]);
    assert.equal((await send(front.port, { headers: user(CANARY_KEY) })).status, 200);
    assert.equal((await send(front.port, { headers: user(CONTROL_KEY) })).status, 500);
    assert.equal((await send(front.port)).status, 200);

    front.handler.updateToxics([toxic('http_abort', { status: 500, cohort: 'all' })]);
    assert.equal((await send(front.port, { headers: user(CANARY_KEY) })).status, 500);
    assert.equal((await send(front.port, { headers: user(CONTROL_KEY) })).status, 500);
    assert.equal((await send(front.port, { headers: user(UNTOUCHED_KEY) })).status, 500);
    assert.equal((await send(front.port)).status, 500, 'no key at all');
  });

  it('toxicity is rolled per request', async () => {
    front.handler.updateToxics([toxic('http_abort', { status: 500 }, { toxicity: 0 })]);
    for (let i = 0; i < 20; i++) assert.equal((await send(front.port, { headers: user(CANARY_KEY) })).status, 200);
    front.handler.updateToxics([toxic('http_abort', { status: 500 }, { toxicity: 0.5 })]);
    const statuses = [];
    for (let i = 0; i < 60; i++) statuses.push((await send(front.port, { headers: user(CANARY_KEY) })).status);
    const hits = statuses.filter((s) => s === 500).length;
    assert.ok(hits > 10 && hits < 50, `${hits} of 60 hit at toxicity 0.5`);
  });

  it('toxics compose: upstream latency then abort', async () => {
    front.handler.updateToxics([
      toxic('http_latency', { latency: 300 }, { name: 'slow', stream: 'upstream' }),
      toxic('http_abort', { status: 502 }, { name: 'fail' }),
    ]);
    const canary = await send(front.port, { headers: user(CANARY_KEY) });
    assert.equal(canary.status, 502);
    assert.ok(canary.ms >= 270, `took ${canary.ms} ms`);
  });

  it('standard toxics HTTP mode ignores (slicer) change nothing', async () => {
    front.handler.updateToxics([toxic('slicer', { average_size: 1 })]);
    const canary = await send(front.port, { path: '/blob', headers: user(CANARY_KEY) });
    assert.ok(canary.body.equals(upstream.blob));
  });
});
