import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stickyKeyOf } from '../../src/cohort/sticky.js';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/docker.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';

const COHORT = { mode: 'http', key: 'cookie:session', canary: 0.5, control: 0.25, salt: 'fuzz' };
const BAD_COOKIES = ['session=%zz', 'session=%', 'session=%E0%A4%A', 'session=%uD800', 'a=1; session=%%%; b=%zz'];

async function get(url: string, cookie: string): Promise<number> {
  const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(5_000) });
  await res.text();
  return res.status;
}

describe('a malformed cookie in HTTP cohort mode', function () {
  this.timeout(60_000);
  let target: TargetServer;
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    target = await startTarget();
    tmp = tempDir();
  });
  afterEach(async () => {
    await target.close();
    tmp.cleanup();
  });

  it('is read as it is, not thrown on', () => {
    const source = { from: 'cookie' as const, name: 'session' };
    assert.equal(stickyKeyOf(source, { cookie: 'session=%zz' }, undefined), '%zz');
    assert.equal(stickyKeyOf(source, { cookie: 'session=%41b' }, undefined), 'Ab');
  });

  it('is forwarded by `firebreak proxy`, which keeps serving everyone', async () => {
    const proxy = startCli(['proxy', '--port', '0'], { env: { FIREBREAK_LOG_LEVEL: 'silent' } });
    try {
      await waitFor('the API URL', () => proxy.out.stdout.includes('\n'));
      const api = proxy.out.stdout.split('\n')[0]!;
      const listen = `127.0.0.1:${await freePort()}`;
      const created = await fetch(`${api}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'web', listen, upstream: `127.0.0.1:${target.port}`, cohort: COHORT }) });
      assert.equal(created.status, 201, await created.text());
      for (const cookie of BAD_COOKIES) assert.equal(await get(`http://${listen}/`, cookie), 200, cookie);
      assert.equal(await get(`http://${listen}/`, 'session=fine'), 200);
      assert.equal(proxy.exitCode, null, 'the proxy still runs');
    } finally {
      proxy.kill('SIGTERM');
      await waitCli(proxy, 15_000);
    }
  });

  it('does not end a run that uses the embedded proxy: the run finishes and reverts', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    const ledger = join(tmp.dir, 'ledger.jsonl');
    const file = join(tmp.dir, 'cookie.yaml');
    writeFileSync(file, [
      'title: Cookies',
      'phases: { before: 100ms, during: 2s, after: 100ms, tick: 100ms }',
      `cohort: { traffic: { canary: 50%, control: 25%, key: "cookie:session", salt: ${COHORT.salt} } }`,
      'target:',
      '  proxy:',
      `    proxies: [ { name: web, listen: "${listen}", upstream: "127.0.0.1:${target.port}", cohort: ${JSON.stringify(COHORT)} } ]`,
      'faults:',
      '  - { type: proxy.latency, proxy: web, latency: 10ms, cohort: canary }',
      '',
    ].join('\n'));
    const run = startCli(['--ledger', ledger, 'run', file, '--journal', join(tmp.dir, 'j.json')], { cwd: tmp.dir });
    await waitFor('the fault', () => existsSync(ledger) && Ledger.readEntries(ledger).some((e) => e.event === 'applied'));
    for (const cookie of BAD_COOKIES) assert.equal(await get(`http://${listen}/`, cookie), 200, cookie);
    const r = await waitCli(run, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
  });
});
