import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { Ledger } from '../../src/engine/ledger.js';
import { runCli, startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';

describe('CLI commands', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('--version and --help answer with exit 0; an unknown command is a usage error (64)', async () => {
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    for (const cmd of ['run', 'validate', 'recover', 'inject', 'proxy', 'demo']) {
      const h = await runCli([cmd, '--help']);
      assert.equal(h.code, 0, cmd);
      assert.match(h.stdout, new RegExp(`Usage: firebreak ${cmd}`));
    }
    const bad = await runCli(['explode']);
    assert.equal(bad.code, 64);
  });

  it('run --dry-run prints the plan and touches nothing', async () => {
    const flag = join(tmp.dir, 'flag');
    const file = join(tmp.dir, 'e.yaml');
    writeFileSync(file, ['title: Dry', 'phases: { before: 1s, during: 5s, after: 1s }', 'faults:', `  - { type: process, apply: "touch ${flag}", revert: "rm -f ${flag}", start: 1s, duration: 2s }`, ''].join('\n'));
    const ledger = join(tmp.dir, 'ledger.jsonl');
    const r = await runCli(['--ledger', ledger, 'run', '--dry-run', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plan \(dry run, nothing touched\)/);
    assert.match(r.stdout, /fault \w+-0-0: run "touch .*flag".*from 1000 ms for 2000 ms/);
    assert.equal(existsSync(flag), false);
    assert.deepEqual(Ledger.readEntries(ledger), []);
  });

  it('run --json prints the journal, schema-versioned, with the verdict', async () => {
    const file = join(tmp.dir, 'e.yaml');
    writeFileSync(file, ['title: Json', 'phases: { before: 100ms, during: 300ms, after: 100ms, tick: 100ms }', 'hypothesis:', '  probes: [ { name: ok, type: process, command: "echo ok" } ]', '  tolerances: [ "ok.stdout == \\"ok\\"" ]', ''].join('\n'));
    const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'run', '--json', '-q', file, '--journal', join(tmp.dir, 'j.json')]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schema, 'firebreak.journal/v1');
    assert.equal(j.verdict.status, 'held');
    assert.deepEqual(j.phases.map((p: { phase: string }) => p.phase), ['before', 'during', 'after']);
    assert.deepEqual(JSON.parse(readFileSync(join(tmp.dir, 'j.json'), 'utf8')).runId, j.runId);
  });

  it('run on several files exits with the most serious status', async () => {
    const ok = join(tmp.dir, 'a.yaml');
    const bad = join(tmp.dir, 'b.yaml');
    const common = 'phases: { before: 100ms, during: 200ms, after: 100ms, tick: 100ms }\nhypothesis:\n  probes: [ { name: p, type: process, command: "echo x" } ]\n';
    writeFileSync(ok, `title: A\n${common}  tolerances: [ "p.stdout == \\"x\\"" ]\n`);
    writeFileSync(bad, `title: B\n${common}  tolerances: [ "p.stdout == \\"y\\"" ]\n`);
    const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'run', '-q', tmp.dir, '--journal', join(tmp.dir, 'journals/')]);
    assert.equal(r.code, 3, r.stdout + r.stderr); // B is not steady
    assert.match(r.stdout, /A: HELD/);
    assert.match(r.stdout, /B: NOT-STEADY/);
  });

  it('inject process: applies, counts down, reverts at the end, ledgered', async () => {
    const flag = join(tmp.dir, 'flag');
    const ledger = join(tmp.dir, 'ledger.jsonl');
    const child = startCli(['--ledger', ledger, 'inject', 'process', '--apply', `touch ${flag}`, '--revert', `rm -f ${flag}`, '--duration', '1500ms']);
    await waitFor('the fault', () => existsSync(flag));
    const r = await waitCli(child, 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(flag), false);
    assert.match(r.stderr, /during .* left/);
    assert.deepEqual(Ledger.readEntries(ledger).map((e) => e.event), ['intent', 'applied', 'reverted']);
  });

  it('inject: Ctrl-C reverts at once and exits 130', async () => {
    const flag = join(tmp.dir, 'flag');
    const child = startCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'inject', 'process', '--apply', `touch ${flag}`, '--revert', `rm -f ${flag}`, '--duration', '60s']);
    await waitFor('the fault', () => existsSync(flag));
    child.kill('SIGINT');
    const r = await waitCli(child, 20_000);
    assert.equal(r.code, 130);
    assert.equal(existsSync(flag), false);
  });

  it('inject rejects unknown faults and bad attributes with exit 64, touching nothing', async () => {
    const a = await runCli(['inject', 'proxy.latenzy', '--proxy', 'x']);
    assert.equal(a.code, 64);
    assert.match(a.stderr, /unknown fault type "proxy.latenzy" \(did you mean "proxy.latency"\?\) \(known: .*proxy\.latency/);
    const b = await runCli(['inject', 'proxy.latency', '--proxy', 'x', '--latency', 'slow']);
    assert.equal(b.code, 64);
    assert.match(b.stderr, /--latency/);
  });

  describe('inject proxy.latency against a running proxy', () => {
    let proxy: ProxyServer;
    let target: TargetServer;
    before(async () => {
      target = await startTarget(() => ({ status: 200, body: 'pong' }));
      proxy = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), proxies: [{ name: 'payments', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}` }] });
    });
    after(async () => {
      await proxy.close();
      await target.close();
    });

    it('adds exactly one named toxic while live and removes it after', async () => {
      const toxics = async (): Promise<{ name: string; type: string; attributes: Record<string, number> }[]> => (await (await fetch(`${proxy.url}/proxies/payments/toxics`)).json()) as never;
      const child = startCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'inject', 'proxy.latency', '--proxy', 'payments', '--latency', '300ms', '--jitter', '10ms', '--duration', '2s', '--proxy-url', proxy.url]);
      let seen: Awaited<ReturnType<typeof toxics>> = [];
      await waitFor('the toxic', () => seen.length > 0 || (void toxics().then((t) => (seen = t)), false), 15_000).catch(() => undefined);
      const r = await waitCli(child, 20_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.type, 'latency');
      assert.equal(seen[0]!.attributes.latency, 300);
      assert.match(seen[0]!.name, /^fb-/);
      assert.deepEqual(await toxics(), []);
    });
  });
});
