import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { runCli, startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';

/** Holds a port on 127.0.0.1 the way another program would. */
async function holdPort(port = 0): Promise<{ server: Server; port: number; address: string }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return { server, port: bound, address: `127.0.0.1:${bound}` };
}

async function closedPort(): Promise<number> {
  const h = await holdPort();
  await new Promise((r) => h.server.close(r));
  return h.port;
}

const release = (s: Server): Promise<unknown> => new Promise((r) => s.close(r));

/** Every problem is one line with what failed and its cause, then a hint per cause and the code's hint. */
function assertExplained(text: string, code: string, cause: RegExp, hints: RegExp[]): void {
  assert.match(text, new RegExp(`${code}: .*${cause.source}`), text);
  for (const h of hints) assert.match(text, new RegExp(`\\n {2}hint: ${h.source}`), text);
  assert.doesNotMatch(text, /fetch failed|HTTP 500\n|"level":/, text);
}

describe('CLI errors name what failed, the cause and what to do', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('run: a proxy listen port in use is EADDRINUSE with the address, not "HTTP 500"', async () => {
    const held = await holdPort();
    try {
      const file = join(tmp.dir, 'busy.yaml');
      writeFileSync(file, [
        'title: Busy port',
        'target:',
        '  proxy:',
        `    proxies: [ { name: payments, listen: "${held.address}", upstream: "127.0.0.1:9" } ]`,
        'phases: { before: 100ms, during: 200ms, after: 100ms, tick: 100ms }',
        'faults: [ { type: proxy.latency, proxy: payments, latency: 100ms, cohort: all } ]',
        '',
      ].join('\n'));
      for (const level of [[], ['-v']]) {
        const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), ...level, 'run', '-q', file, '--journal', join(tmp.dir, 'j.json')]);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assertExplained(r.stdout, 'FIREBREAK_E_PROXY', new RegExp(`HTTP 500: listen tcp ${held.address}: bind: address already in use \\(EADDRINUSE ${held.address}\\)`), [
          /Another process already listens on that address/,
          /Read the proxy's message after the HTTP status/,
        ]);
      }
    } finally {
      await release(held.server);
    }
  });

  it('proxy: its API port in use', async () => {
    const held = await holdPort();
    try {
      const r = await runCli(['proxy', '--port', String(held.port)]);
      assert.equal(r.code, 4, r.stderr);
      assertExplained(r.stderr, 'FIREBREAK_E_PROXY', new RegExp(`could not start the proxy server: EADDRINUSE ${held.address} \\(address already in use\\)`), [/Another process already listens/]);
    } finally {
      await release(held.server);
    }
  });

  describe('inject against a running proxy', () => {
    let proxy: ProxyServer;
    let listen: string;
    beforeEach(async () => {
      const port = await closedPort();
      proxy = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), proxies: [{ name: 'payments', listen: `127.0.0.1:${port}`, upstream: '127.0.0.1:9' }] });
      listen = `127.0.0.1:${port}`;
    });
    afterEach(() => proxy.close());

    it('a partition whose port is taken while it is down: the revert fails with EADDRINUSE, recover finishes it', async () => {
      const ledger = join(tmp.dir, 'l.jsonl');
      const child = startCli(['--ledger', ledger, 'inject', 'proxy.partition', '--proxy', 'payments', '--cohort', 'all', '--duration', '1500ms', '--proxy-url', proxy.url]);
      let enabled = true;
      await waitFor('the proxy to go down', () => {
        void fetch(`${proxy.url}/proxies/payments`).then(async (res) => (enabled = ((await res.json()) as { enabled: boolean }).enabled), () => undefined);
        return !enabled;
      });
      const thief = await holdPort(Number(listen.split(':')[1]));
      let r;
      try {
        r = await waitCli(child, 40_000);
      } finally {
        await release(thief.server);
      }
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertExplained(r.stdout, 'FIREBREAK_E_REVERT', new RegExp(`re-enable proxy "payments": HTTP 500: listen tcp ${listen}: bind: address already in use \\(EADDRINUSE ${listen}\\)`), [
        /Another process already listens on that address/,
        /Fix what blocks the revert, then run `firebreak recover`/,
      ]);
      assert.match(r.stderr, new RegExp(`REVERT FAILED .*EADDRINUSE ${listen}`));
      const rec = await runCli(['--ledger', ledger, 'recover']);
      assert.equal(rec.code, 0, rec.stdout + rec.stderr);
      assert.equal(((await (await fetch(`${proxy.url}/proxies/payments`)).json()) as { enabled: boolean }).enabled, true);
    });
  });

  it('inject: the proxy API down is ECONNREFUSED with its address, not "fetch failed"', async () => {
    const port = await closedPort();
    const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'inject', 'proxy.latency', '--proxy', 'payments', '--latency', '100ms', '--duration', '1s', '--proxy-url', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assertExplained(r.stdout, 'FIREBREAK_E_DRIVER_UNREACHABLE', new RegExp(`proxy API at http://127\\.0\\.0\\.1:${port} did not answer: ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(connection refused\\)`), [
      /Nothing listens at that address/,
      /Start the system or point the driver at it/,
    ]);
  });

  it('Docker: a missing socket is ENOENT with its path', async () => {
    const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'inject', 'docker.pause', '--label', 'app=nothing', '--duration', '1s'], { env: { DOCKER_HOST: 'unix:///nonexistent' } });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assertExplained(r.stdout, 'FIREBREAK_E_DRIVER_UNREACHABLE', /Docker engine at unix:\/\/\/nonexistent did not answer: ENOENT \/nonexistent \(no such file or socket\)/, [
      /Nothing exists at that path: for a Docker socket, check that the engine runs and what `DOCKER_HOST` names/,
      /Start the system or point the driver at it/,
    ]);
  });

  it('an HTTP probe to a closed port: ECONNREFUSED in the verdict, with the hints', async () => {
    const port = await closedPort();
    const file = join(tmp.dir, 'probe.yaml');
    writeFileSync(file, [
      'title: Closed port',
      'phases: { before: 100ms, during: 200ms, after: 100ms, tick: 100ms }',
      'hypothesis:',
      `  probes: [ { name: health, type: http, url: "http://127.0.0.1:${port}/health" } ]`,
      '  tolerances: [ "health.status == 200" ]',
      '',
    ].join('\n'));
    const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'run', file, '--journal', join(tmp.dir, 'j.json')]);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`GET http://127\\.0\\.0\\.1:${port}/health failed: ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.match(r.stdout, /\n {2}hint: Nothing listens at that address/);
    assert.match(r.stdout, /\n {2}hint: Check the probe definition/);
    assert.match(r.stderr, new RegExp(`health: error: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`), 'the progress line says it too');
  });
});
