import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectTo, roundTrip, startEchoServer, type TestServer } from './helpers/net.js';

const runner = fileURLToPath(new URL('./fixtures/proxy-cli.ts', import.meta.url));

function start(args: string[]): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FIREBREAK_LOG_LEVEL: 'info' } });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', () => reject(new Error(`exited before printing its URL: ${err}`)));
  });
  url.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, exit, stderr: () => err };
}

describe('firebreak proxy (command)', function () {
  this.timeout(30_000);
  let echo: TestServer;
  let dir: string;
  beforeEach(async () => {
    echo = await startEchoServer();
    dir = await mkdtemp(join(tmpdir(), 'fb-proxy-cli-'));
  });
  afterEach(async () => {
    await echo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the API, populates from --config, logs JSON to stderr and stops cleanly on SIGTERM', async () => {
    const config = join(dir, 'proxies.json');
    await writeFile(config, JSON.stringify([{ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address }]));
    const run = start(['--host', '127.0.0.1', '--port', '0', '--config', config]);
    const url = await run.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const proxies = await (await fetch(`${url}/proxies`, { signal: AbortSignal.timeout(5000) })).json();
    const port = Number(proxies.echo.listen.split(':')[1]);
    const s = await connectTo(port);
    assert.equal((await roundTrip(s, 'via cli')).reply.toString(), 'via cli');
    s.destroy();
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0);
    assert.match(run.stderr(), /"msg":"proxy API listening"/);
    await assert.rejects(connectTo(port), /ECONNREFUSED/);
  });

  it('a refused upstream without a host leaves no listener; SIGHUP and SIGQUIT stop the server like SIGTERM', async () => {
    for (const sig of ['SIGHUP', 'SIGQUIT'] as const) {
      const run = start(['--port', '0']);
      const url = await run.url;
      const res = await fetch(`${url}/proxies`, {
        method: 'POST',
        body: JSON.stringify({ name: 'p', upstream: ':8080', listen: '127.0.0.1:0', cohort: { mode: 'http', key: 'header:x-user', canary: 0.1, salt: 's' } }),
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(res.status, 400);
      const started = Date.now();
      run.child.kill(sig);
      assert.equal(await run.exit, 0, run.stderr());
      assert.ok(Date.now() - started < 5_000);
    }
  });

  it('refuses a config that is not a JSON array, and a bad port', async () => {
    const config = join(dir, 'bad.json');
    await writeFile(config, '{"name": "x"}');
    const bad = start(['--port', '0', '--config', config]);
    assert.equal(await bad.exit, 64);
    assert.match(bad.stderr(), /expected a JSON array of proxies/);
    const port = start(['--port', 'eighty']);
    assert.equal(await port.exit, 64);
    assert.match(port.stderr(), /--port: not a port number/);
  });
});
