import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { runCli, startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';

describe('proxy faults after a crash (kill -9, then recover)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let proxy: ProxyServer;
  let target: TargetServer;
  let ledger: string;
  beforeEach(async () => {
    tmp = tempDir();
    ledger = join(tmp.dir, 'ledger.jsonl');
    target = await startTarget(() => ({ status: 200 }));
    proxy = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), proxies: [{ name: 'payments', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}` }] });
  });
  afterEach(async () => {
    await proxy.close();
    await target.close();
    tmp.cleanup();
  });

  const applied = () => Ledger.readEntries(ledger).filter((e) => e.event === 'applied').length;
  const state = async () => (await (await fetch(`${proxy.url}/proxies/payments`)).json()) as { enabled: boolean; toxics: { name: string }[] };

  it('removes the toxics and re-enables the proxy a killed run left behind', async () => {
    const file = join(tmp.dir, 'e.yaml');
    writeFileSync(file, [
      'title: Killed mid-fault',
      `target: { proxy: { url: "${proxy.url}" } }`,
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      '  - { type: proxy.latency, proxy: payments, latency: 500ms }',
      '  - { type: proxy.bandwidth, proxy: payments, rate: 10, stream: upstream }',
      '  - { type: proxy.partition, proxy: payments }',
      '',
    ].join('\n'));
    const child = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    await waitFor('three faults applied', () => applied() === 3);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);
    const left = await state();
    assert.equal(left.enabled, false);
    assert.equal(left.toxics.length, 2);
    const r = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 of 3 fault\(s\) reverted/);
    const after = await state();
    assert.equal(after.enabled, true);
    assert.deepEqual(after.toxics, []);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
    const res = await fetch(`http://${((await state()) as unknown as { listen: string }).listen}/`);
    assert.equal(res.status, 200, 'traffic flows through the proxy again');
  });

  it('an embedded proxy died with the killed run: recover finds nothing left to undo and clears the ledger', async () => {
    const file = join(tmp.dir, 'embedded.yaml');
    writeFileSync(file, [
      'title: Embedded, killed',
      `target: { proxy: { proxies: [ { name: front, upstream: "127.0.0.1:${target.port}" } ] } }`,
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      '  - { type: proxy.latency, proxy: front, latency: 500ms }',
      '',
    ].join('\n'));
    const child = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    await waitFor('the fault applied', () => applied() === 1);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);
    const r = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
  });
});
