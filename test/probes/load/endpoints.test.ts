import { strict as assert } from 'node:assert';
import { silentLogger } from '../../../src/log.js';
import { LoadGenerator } from '../../../src/probes/load/index.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { parseLoadAttrs } from '../../../src/probes/load/attrs.js';
import { loadAttrs, sleep, startServer, type TestServer } from './servers.js';

const portOf = (s: TestServer): number => Number(new URL(s.url).port);

describe('load generator: endpoints (client-side balancing over replicas)', function () {
  this.timeout(20_000);
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('spreads requests round-robin over every endpoint, and a dead replica shows up as errors', async () => {
    const counts = [0, 0];
    for (const i of [0, 1]) {
      servers.push(await startServer((req, res) => {
        counts[i]! += 1;
        req.resume();
        res.end('ok');
      }));
    }
    const dead = await startServer((_req, res) => res.end());
    const deadPort = portOf(dead);
    await dead.close();
    const endpoints = [...servers.map((s) => `127.0.0.1:${portOf(s)}`), `127.0.0.1:${deadPort}`];
    const gen = new LoadGenerator(loadAttrs({ url: servers[0]!.url, rate: 150, endpoints }));
    await gen.start({ signal: new AbortController().signal, logger: silentLogger() });
    await sleep(1500);
    await gen.stop();
    const i = (await gen.collect()).untouched!;
    assert.ok(Math.abs(counts[0]! - counts[1]!) <= 2, `uneven: ${counts.join(' vs ')}`);
    assert.ok(i.errors > 0 && Math.abs(i.errors - counts[0]!) <= 3, `a third of the requests failed on the dead replica (${i.errors} vs ${counts[0]})`);
  });

  it('rejects endpoints that are not host:port', () => {
    const issues = collectIssues();
    parseLoadAttrs({ url: 'http://127.0.0.1:1/', rate: 1, endpoints: ['127.0.0.1', 'x:99999'] }, issues);
    assert.deepEqual(issues.issues.map((i) => i.path), ['endpoints[0]', 'endpoints[1]']);
  });
});
