import assert from 'node:assert/strict';
import type { ToxicView } from '../../../src/proxy/http/handler.js';
import { CANARY_KEY, COHORT, send, sendExpectingError, sha256, startFront, startUpstream, type Front, type Upstream } from './helpers.js';

const user = { 'x-user': CANARY_KEY };
const toxic = (name: string, type: string, attributes: Record<string, unknown>, stream: ToxicView['stream'] = 'downstream'): ToxicView => ({ name, type, stream, toxicity: 1, attributes });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/*
 * A toxic removed stops acting on the requests it already hit, as Toxiproxy's TCP mode releases its
 * connections: otherwise a reverted fault keeps harming requests into the after phase, which then
 * measures the fault instead of the recovery.
 */
describe('proxy/http: a removed toxic releases the requests it hit', () => {
  let upstream: Upstream;
  let front: Front;
  before(async () => {
    upstream = await startUpstream(400_000);
    front = await startFront(upstream.port, COHORT);
  });
  afterEach(() => front.handler.updateToxics([]));
  after(async () => {
    await front.close();
    await upstream.close();
  });

  for (const stream of ['upstream', 'downstream'] as const) {
    it(`a ${stream} latency of 3 s ends when the toxic goes; the request completes normally`, async () => {
      front.handler.updateToxics([toxic('slow', 'latency', { latency: 3000 }, stream)]);
      const pending = send(front.port, { headers: user });
      await wait(300);
      const removedAt = performance.now();
      front.handler.updateToxics([]);
      const reply = await pending;
      assert.equal(reply.status, 200);
      assert.ok(performance.now() - removedAt < 500, `completed ${Math.round(performance.now() - removedAt)} ms after the removal`);
      assert.ok(reply.ms < 1500, `took ${Math.round(reply.ms)} ms in all, not the 3 s of the toxic`);
    });
  }

  it('only the removed toxic lets go: another one that hit the request still applies', async () => {
    front.handler.updateToxics([toxic('a', 'latency', { latency: 3000 }), toxic('b', 'latency', { latency: 700 })]);
    const pending = send(front.port, { headers: user });
    await wait(200);
    front.handler.updateToxics([toxic('b', 'latency', { latency: 700 })]);
    const reply = await pending;
    assert.ok(reply.ms >= 650 && reply.ms < 1500, `took ${Math.round(reply.ms)} ms: the remaining 700 ms applied, the removed 3 s did not`);
  });

  it('a pending reset is called off: the request is forwarded and answered instead', async () => {
    front.handler.updateToxics([toxic('rst', 'reset_peer', { timeout: 2000 }, 'upstream')]);
    const before = upstream.requests.get('/ok') ?? 0;
    const pending = sendExpectingError(front.port, { headers: user });
    await wait(300);
    front.handler.updateToxics([]);
    const r = await pending;
    assert.equal(r.error, undefined, `no reset: ${r.error?.message}`);
    assert.equal(r.reply?.status, 200);
    assert.equal(upstream.requests.get('/ok'), before + 1, 'forwarded after all');
    assert.ok(r.ms < 1500);
  });

  it('a downstream reset called off forwards the response that was waiting', async () => {
    front.handler.updateToxics([toxic('rst', 'http_reset', { timeout: 2000 })]);
    const pending = sendExpectingError(front.port, { headers: user });
    await wait(300);
    front.handler.updateToxics([]);
    const r = await pending;
    assert.equal(r.reply?.status, 200, `answered: ${r.error?.message}`);
    assert.equal(r.reply?.body.toString(), 'ok');
  });

  it('a throttled body goes on at full speed, intact', async () => {
    // 400 KB at 20 KB/s would take 20 s.
    front.handler.updateToxics([toxic('narrow', 'bandwidth', { rate: 20 })]);
    const pending = send(front.port, { path: '/blob', headers: user, timeoutMs: 30_000 });
    await wait(500);
    front.handler.updateToxics([]);
    const reply = await pending;
    assert.equal(sha256(reply.body), sha256(upstream.blob), 'every byte, in order');
    assert.ok(reply.ms < 3000, `took ${Math.round(reply.ms)} ms`);
  });
});
