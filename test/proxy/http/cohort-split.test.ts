import assert from 'node:assert/strict';
import http from 'node:http';
import { cohortOf } from '../../../src/cohort/sticky.js';
import type { CohortName } from '../../../src/signals/types.js';
import { send, startFront, startUpstream, type Front, type Upstream } from './helpers.js';

describe('proxy/http cohort split', () => {
  describe('cohortOf over many keys', () => {
    const N = 100_000;
    for (const shares of [
      { canary: 0.05, control: 0.05 },
      { canary: 0.2, control: 0.3 },
    ]) {
      it(`puts ${shares.canary * 100}% / ${shares.control * 100}% of ${N} keys in canary / control within 0.5 points`, () => {
        const counts: Record<CohortName, number> = { canary: 0, control: 0, untouched: 0 };
        for (let i = 0; i < N; i++) counts[cohortOf(`user-${i}`, 'salt-a', shares)] += 1;
        assert.ok(Math.abs(counts.canary / N - shares.canary) < 0.005, `canary share ${counts.canary / N}`);
        assert.ok(Math.abs(counts.control / N - shares.control) < 0.005, `control share ${counts.control / N}`);
      });
    }

    it('keeps a key in the same cohort for the same salt, and a new salt reshuffles', () => {
      const shares = { canary: 0.1, control: 0.1 };
      const keys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);
      const first = keys.map((k) => cohortOf(k, 'salt-a', shares));
      const again = keys.map((k) => cohortOf(k, 'salt-a', shares));
      assert.deepEqual(again, first);
      const other = keys.map((k) => cohortOf(k, 'salt-b', shares));
      const canaryA = keys.filter((_, i) => first[i] === 'canary');
      const stillCanary = canaryA.filter((k) => cohortOf(k, 'salt-b', shares) === 'canary').length;
      // Independent salts: about 10% of salt-a's canary keys are also canary under salt-b.
      assert.ok(stillCanary / canaryA.length < 0.2, `overlap ${stillCanary / canaryA.length}`);
      assert.ok(other.filter((c) => c === 'canary').length > 1500, 'salt-b still fills its canary');
    });
  });

  describe('through the handler', () => {
    let upstream: Upstream;
    let front: Front;
    const salt = 'real-traffic';
    const shares = { canary: 0.25, control: 0.25 };

    before(async () => {
      upstream = await startUpstream(1024);
      front = await startFront(upstream.port, { mode: 'http', key: 'header:x-user', ...shares, salt });
      // Each cohort answers with its own status, so every reply names the cohort the proxy chose.
      front.handler.updateToxics([
        { name: 'c', type: 'http_abort', stream: 'downstream', toxicity: 1, attributes: { status: 451, cohort: 'canary' } },
        { name: 'k', type: 'http_abort', stream: 'downstream', toxicity: 1, attributes: { status: 452, cohort: 'control' } },
      ]);
    });
    after(async () => {
      await front.close();
      await upstream.close();
    });

    it('sorts 2000 real requests exactly as cohortOf does, key by key', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const N = 2000;
      const expected: Record<CohortName, number> = { canary: 0, control: 0, untouched: 0 };
      const mismatches: string[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < N) {
          const key = `visitor-${next++}`;
          const want = cohortOf(key, salt, shares);
          expected[want] += 1;
          const reply = await send(front.port, { agent, headers: { 'x-user': key } });
          const got: CohortName = reply.status === 451 ? 'canary' : reply.status === 452 ? 'control' : 'untouched';
          if (got !== want) mismatches.push(`${key}: ${got} != ${want}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      agent.destroy();
      assert.deepEqual(mismatches, []);
      const signals = front.handler.signalsJson() as { cohorts: Record<CohortName, { requests: number }> };
      for (const c of ['canary', 'control', 'untouched'] as const) assert.equal(signals.cohorts[c].requests, expected[c], c);
      // 2000 keys: the canary share is near 25% (a binomial's 4 standard deviations is ~4 points).
      assert.ok(Math.abs(expected.canary / N - 0.25) < 0.04, `canary share ${expected.canary / N}`);
      assert.equal(upstream.requests.get('/ok'), expected.untouched, 'only untouched requests reached upstream');
    });

    it('reads the key from a cookie or the client address when configured so', async () => {
      front.handler.updateCohort({ mode: 'http', key: 'cookie:sid', ...shares, salt });
      const cookieKey = Array.from({ length: 50 }, (_, i) => `c-${i}`).find((k) => cohortOf(k, salt, shares) === 'canary')!;
      const viaCookie = await send(front.port, { headers: { cookie: `theme=dark; sid=${cookieKey}` } });
      assert.equal(viaCookie.status, 451);
      const noCookie = await send(front.port, { headers: { 'x-user': cookieKey } });
      assert.equal(noCookie.status, 200, 'the header no longer counts');

      front.handler.updateCohort({ mode: 'http', key: 'client-address', canary: 1, control: 0, salt });
      assert.equal((await send(front.port)).status, 451, 'canary 100%: 127.0.0.1 is canary');
      front.handler.updateCohort({ mode: 'http', key: 'client-address', canary: 0, control: 1, salt });
      assert.equal((await send(front.port)).status, 452, 'control 100%: 127.0.0.1 is control');
    });
  });
});
