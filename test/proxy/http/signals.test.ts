import assert from 'node:assert/strict';
import http from 'node:http';
import type { HttpSignalsJson } from '../../../src/proxy/http/handler.js';
import { HdrLatencyHistogram } from '../../../src/signals/histogram.js';
import { CANARY_KEY, COHORT, CONTROL_KEY, send, sendExpectingError, startFront, startUpstream, type Front, type Upstream } from './helpers.js';

describe('proxy/http signals', () => {
  let upstream: Upstream;
  let front: Front;

  before(async () => {
    upstream = await startUpstream(10_000);
    front = await startFront(upstream.port, COHORT);
  });
  after(async () => {
    await front.close();
    await upstream.close();
  });

  it('counts requests, errors and bytes per cohort, and reports every request to observe', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const canary = { 'x-user': CANARY_KEY };
    const control = { 'x-user': CONTROL_KEY };
    // canary: 5 ok, 2 upstream 500s, 3 aborted by a toxic (503), 1 reset = 11 requests, 6 errors.
    for (let i = 0; i < 5; i++) await send(front.port, { agent, path: '/blob', headers: canary });
    for (let i = 0; i < 2; i++) await send(front.port, { agent, path: '/status?code=500', headers: canary });
    front.handler.updateToxics([{ name: 'a', type: 'http_abort', stream: 'downstream', toxicity: 1, attributes: { body: 'x' } }]);
    for (let i = 0; i < 3; i++) assert.equal((await send(front.port, { agent, headers: canary })).status, 503);
    front.handler.updateToxics([{ name: 'r', type: 'http_reset', stream: 'upstream', toxicity: 1, attributes: {} }]);
    assert.ok((await sendExpectingError(front.port, { headers: canary })).error);
    front.handler.updateToxics([]);
    // control: 7 ok (one a 404, not an error) with a 1000-byte POST each; untouched: 4 ok.
    for (let i = 0; i < 6; i++) await send(front.port, { agent, method: 'POST', path: '/echo', body: Buffer.alloc(1000), headers: control });
    await send(front.port, { agent, path: '/status?code=404', headers: control });
    for (let i = 0; i < 4; i++) await send(front.port, { agent });
    agent.destroy();
    await new Promise((r) => setTimeout(r, 50));

    const s = front.handler.signalsJson() as HttpSignalsJson;
    assert.equal(s.mode, 'http');
    assert.equal(s.proxy, 'web');
    assert.ok(!Number.isNaN(Date.parse(s.since)));
    assert.deepEqual(
      [s.cohorts.canary.requests, s.cohorts.canary.errors, s.cohorts.control.requests, s.cohorts.control.errors, s.cohorts.untouched.requests, s.cohorts.untouched.errors],
      [11, 6, 7, 0, 4, 0],
    );
    assert.equal(s.cohorts.canary.bytesOut, 5 * 10_000 + 2 * 'status'.length + 3, 'blob bodies, 500 bodies, abort bodies');
    assert.equal(s.cohorts.control.bytesIn, 6000);
    assert.equal(s.cohorts.control.bytesOut, 6000 + 'status'.length);
    assert.equal(s.cohorts.canary.latencyOk.summary.count, 5);
    assert.equal(s.cohorts.canary.latencyFailed.summary.count, 6);
    assert.equal(HdrLatencyHistogram.decode(s.cohorts.canary.latencyFailed.hdr).count, 6, 'the encoded histogram decodes');
    assert.equal(front.observations.length, 22);
    assert.equal(front.observations.filter((o) => o.cohort === 'canary' && !o.ok).length, 6);
  });

  it('measures latency that matches a server with a known delay', async () => {
    const before = (front.handler.signalsJson() as HttpSignalsJson).cohorts.untouched;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    await Promise.all(Array.from({ length: 40 }, () => send(front.port, { agent, path: '/delay?ms=100' })));
    agent.destroy();
    const after = (front.handler.signalsJson() as HttpSignalsJson).cohorts.untouched;
    const interval = HdrLatencyHistogram.decode(after.latencyOk.hdr);
    interval.subtract(HdrLatencyHistogram.decode(before.latencyOk.hdr));
    assert.equal(interval.count, 40);
    const p50 = interval.percentile(50);
    const p99 = interval.percentile(99);
    assert.ok(p50 >= 95 && p50 < 600, `p50 ${p50} ms`);
    assert.ok(p99 >= p50 && p99 < 1500, `p99 ${p99} ms`);
    assert.ok(interval.summary().min >= 95, `min ${interval.summary().min} ms`);
  });

  it('counts an unreachable upstream as a 502 error, with its latency among the failures', async () => {
    const before = (front.handler.signalsJson() as HttpSignalsJson).cohorts.control;
    front.handler.updateUpstream('127.0.0.1:1');
    try {
      assert.equal((await send(front.port, { headers: { 'x-user': CONTROL_KEY } })).status, 502);
    } finally {
      front.handler.updateUpstream(`127.0.0.1:${upstream.port}`);
    }
    const after = (front.handler.signalsJson() as HttpSignalsJson).cohorts.control;
    assert.equal(after.requests - before.requests, 1);
    assert.equal(after.errors - before.errors, 1);
    assert.equal(after.latencyFailed.summary.count - before.latencyFailed.summary.count, 1);
  });
});
