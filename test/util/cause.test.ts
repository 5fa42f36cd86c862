import { strict as assert } from 'node:assert';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Toxiproxy } from 'toxiproxy-node-client';
import { FirebreakError, describeError, hintLines } from '../../src/errors.js';
import { callProxyApi } from '../../src/drivers/proxy/client.js';
import { reasonOf } from '../../src/drivers/docker/client.js';
import { silentLogger } from '../../src/log.js';
import { startProxyServer } from '../../src/proxy/index.js';
import { causesIn, explainError } from '../../src/util/cause.js';
import { tempDir } from '../helpers/cli.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const close = (s: Server): Promise<unknown> => new Promise((r) => s.close(r));

describe('errors keep their cause', () => {
  it('fetch to a closed port: ECONNREFUSED with the address, not "fetch failed"', async () => {
    const port = await closedPort();
    const err = await caught(() => fetch(`http://127.0.0.1:${port}/`));
    assert.equal((err as Error).message, 'fetch failed');
    assert.equal(explainError(err), `ECONNREFUSED 127.0.0.1:${port} (connection refused)`);
    assert.deepEqual(causesIn(explainError(err)), ['ECONNREFUSED']);
  });

  it('a wrapping error says what failed, then the cause once', async () => {
    const port = await closedPort();
    const inner = await caught(() => fetch(`http://127.0.0.1:${port}/`));
    const outer = new FirebreakError('FIREBREAK_E_PROBE', `GET http://127.0.0.1:${port}/ failed: ${explainError(inner)}`, { cause: inner });
    assert.equal(explainError(outer), `GET http://127.0.0.1:${port}/ failed: ECONNREFUSED 127.0.0.1:${port} (connection refused)`);
    const raw = new FirebreakError('FIREBREAK_E_PROBE', 'GET failed', { cause: inner });
    assert.equal(explainError(raw), `GET failed: ECONNREFUSED 127.0.0.1:${port} (connection refused)`);
    assert.equal(describeError(raw).message, explainError(raw), 'journals carry the same line');
  });

  it('a port in use: EADDRINUSE with the address (Node says "listen EADDRINUSE: address already in use")', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const { port } = holder.address() as AddressInfo;
    const second = createServer();
    const err = await new Promise<Error>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    await close(holder as never);
    assert.equal(explainError(err), `EADDRINUSE 127.0.0.1:${port} (address already in use)`);
  });

  it('DNS: ENOTFOUND with the host name', async () => {
    const err = await caught(() => fetch('http://no-such-host.invalid/', { signal: AbortSignal.timeout(10_000) }));
    // Without a resolver the lookup fails for now (EAI_AGAIN): both name the host.
    assert.match(explainError(err), /^(ENOTFOUND no-such-host\.invalid \(no such host\)|EAI_AGAIN no-such-host\.invalid .*)$/);
  });

  it('TLS: https against a plain HTTP port names the TLS failure', async () => {
    const plain = createHttpServer((_req, res) => res.end('plain'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const err = await caught(() => fetch(`https://127.0.0.1:${(plain.address() as AddressInfo).port}/`));
      const text = explainError(err);
      assert.match(text, /^TLS ERR_SSL_WRONG_VERSION_NUMBER: wrong version number$/);
      assert.deepEqual(causesIn(text), ['TLS']);
    } finally {
      await close(plain);
    }
  });

  it('a time limit: ETIMEDOUT', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const err = await caught(() => fetch(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { signal: AbortSignal.timeout(100) }));
      assert.match(explainError(err), /^ETIMEDOUT \(The operation was aborted due to timeout\)$/);
    } finally {
      silent.close();
    }
  });

  it('several causes at once (AggregateError): each named', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const err = await caught(() => Promise.any([fetch(`http://127.0.0.1:${a}/`), fetch(`http://127.0.0.1:${b}/`)]));
    assert.ok(err instanceof AggregateError);
    const text = explainError(err);
    assert.match(text, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${a} .*ECONNREFUSED 127\\.0\\.0\\.1:${b} `));
  });

  describe('through toxiproxy-node-client, which drops both', () => {
    it('the proxy API down: the cause of "fetch failed" is kept', async () => {
      const port = await closedPort();
      const url = `http://127.0.0.1:${port}`;
      const err = await caught(() => callProxyApi(url, 'version', { signal: new AbortController().signal, timeoutMs: 5000 }, (c) => c.getVersion()));
      assert.equal(explainError(err), `ECONNREFUSED 127.0.0.1:${port} (connection refused)`);
    });

    it('the proxy API refusing: its JSON error body, and the code its Go wording stands for', async () => {
      const holder = createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      const busy = `127.0.0.1:${(holder.address() as AddressInfo).port}`;
      const server = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger() });
      try {
        const err = await caught(() =>
          callProxyApi(server.url, 'populate', { signal: new AbortController().signal, timeoutMs: 5000 }, (c: Toxiproxy) => c.populate([{ name: 'p', listen: busy, upstream: '127.0.0.1:9', enabled: true }])),
        );
        assert.equal(explainError(err), `HTTP 500: listen tcp ${busy}: bind: address already in use (EADDRINUSE ${busy})`);
        assert.deepEqual(causesIn(explainError(err)), ['EADDRINUSE']);
      } finally {
        await server.close();
        await close(holder as never);
      }
    });
  });

  describe('dockerode', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeEach(() => (tmp = tempDir()));
    afterEach(() => tmp.cleanup());

    it('the engine\'s HTTP status and json.message', async () => {
      // A real dockerode client on a real socket, answering as an engine does for a missing container.
      const socketPath = join(tmp.dir, 'engine.sock');
      const engine = createHttpServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'No such container: gone' }));
      });
      await new Promise<void>((r) => engine.listen(socketPath, r));
      try {
        const err = await caught(() => new Docker({ socketPath }).getContainer('gone').inspect());
        assert.equal(reasonOf(err), 'HTTP 404: No such container: gone');
      } finally {
        await close(engine);
      }
    });

    it('no socket: ENOENT with its path', async () => {
      const err = await caught(() => new Docker({ socketPath: join(tmp.dir, 'missing.sock') }).ping());
      assert.equal(explainError(err), `ENOENT ${join(tmp.dir, 'missing.sock')} (no such file or socket)`);
    });
  });

  it('hint lines: each cause named, then the code\'s line from the catalogue', () => {
    const lines = hintLines('FIREBREAK_E_DRIVER_UNREACHABLE', 'proxy API at http://127.0.0.1:8474 did not answer: ECONNREFUSED 127.0.0.1:8474 (connection refused)');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^Nothing listens at that address/);
    assert.match(lines[1]!, /^Start the system or point the driver at it/);
    assert.deepEqual(hintLines(undefined, 'no cause here'), []);
  });
});
