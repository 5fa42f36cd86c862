import { strict as assert } from 'node:assert';
import net, { type AddressInfo } from 'node:net';
import { serializeRequest } from '../../../src/probes/load/generator.js';
import { HttpPool } from '../../../src/probes/load/http-pool.js';
import type { PlannedRequest } from '../../../src/probes/load/request-plan.js';

/** A raw TCP server answering each request (its head, up to the blank line) with `answer(n)`: exact bytes on the wire. */
async function rawServer(answer: (n: number, request: string, socket: net.Socket) => string | undefined) {
  let n = 0;
  const connections = new Set<net.Socket>();
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const request = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        requests.push(request);
        const out = answer(n++, request, socket);
        if (out !== undefined) socket.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => {
      for (const c of connections) c.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(pool: HttpPool, port: number, method = 'GET'): Promise<{ status: number; bytes: number; broken: boolean }> {
  const planned: PlannedRequest = { method, path: '/', headers: {}, cohort: 'untouched' };
  return new Promise((resolve) => pool.send({ host: '127.0.0.1', port }, serializeRequest(planned, { host: '127.0.0.1', port }, 80), method !== 'HEAD', (status, bytes, broken) => resolve({ status, bytes, broken })));
}

describe('load generator: its HTTP/1.1 connection pool', function () {
  this.timeout(10_000);

  it('reads Content-Length, chunked (split anywhere) and close-delimited bodies, skips 1xx heads, and reuses kept-alive connections', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
      'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.0 200 OK\r\n\r\nto the close',
    ];
    const server = await rawServer((n, _req, socket) => {
      const text = answers[n]!;
      // Byte by byte, each in its own packet: every parser state must survive a split.
      const write = (i: number): void => {
        if (i === text.length) return void (n === 3 ? socket.end() : undefined);
        socket.write(text[i]!, () => setImmediate(() => write(i + 1)));
      };
      socket.setNoDelay(true);
      write(0);
      return undefined;
    });
    const pool = new HttpPool({ secure: false });
    try {
      assert.deepEqual(await send(pool, server.port), { status: 200, bytes: 5, broken: false });
      assert.deepEqual(await send(pool, server.port), { status: 503, bytes: 5, broken: false });
      assert.deepEqual(await send(pool, server.port), { status: 204, bytes: 0, broken: false });
      assert.deepEqual(await send(pool, server.port), { status: 200, bytes: 12, broken: false });
      assert.equal(server.requests.length, 4);
      assert.match(server.requests[0]!, /^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nConnection: keep-alive\r\n\r\n$/);
    } finally {
      pool.destroy();
      await server.close();
    }
  });

  it('fails a request cut short, a garbled answer and a refused connection, and opens a new connection after Connection: close', async () => {
    const server = await rawServer((n, _req, socket) => {
      if (n === 0) return 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok';
      if (n === 1) {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
        return undefined;
      }
      return 'not http\r\n\r\n';
    });
    const unused = net.createServer();
    const pool = new HttpPool({ secure: false });
    try {
      assert.deepEqual(await send(pool, server.port), { status: 200, bytes: 2, broken: false });
      const cut = await send(pool, server.port);
      assert.equal(cut.broken, true);
      assert.equal(cut.bytes, 5);
      assert.equal((await send(pool, server.port)).broken, true);
      // A port just freed: nothing listens there.
      const closed = await new Promise<number>((r) => unused.listen(0, '127.0.0.1', () => r((unused.address() as AddressInfo).port)));
      await new Promise<void>((r) => unused.close(() => r()));
      assert.deepEqual(await send(pool, closed), { status: 0, bytes: 0, broken: true });
    } finally {
      pool.destroy();
      await server.close();
    }
  });

  it('ends a HEAD answer at its head, and an aborted request fails once without touching the next one', async () => {
    const server = await rawServer((_n, req) => (req.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' : undefined));
    const pool = new HttpPool({ secure: false });
    try {
      assert.deepEqual(await send(pool, server.port, 'HEAD'), { status: 200, bytes: 0, broken: false });
      const outcomes: boolean[] = [];
      const planned: PlannedRequest = { method: 'GET', path: '/', headers: {}, cohort: 'untouched' };
      const req = serializeRequest(planned, { host: '127.0.0.1', port: server.port }, 80);
      const pending = pool.send({ host: '127.0.0.1', port: server.port }, req, true, (_s, _b, broken) => outcomes.push(broken));
      await new Promise((r) => setTimeout(r, 50));
      pending.abort();
      pending.abort();
      assert.deepEqual(outcomes, [true]);
      assert.equal(pool.retries, 0, 'an aborted request on a reused connection is not sent again');
      assert.deepEqual(await send(pool, server.port, 'HEAD'), { status: 200, bytes: 0, broken: false });
    } finally {
      pool.destroy();
      await server.close();
    }
  });

  it('sends an idempotent request once more on a new connection when its kept-alive one closes before any answer; never a POST, never on a new connection', async () => {
    // The server reads each request and, for the second on a connection, closes without answering: the
    // close of an idle connection crossing the next request, made certain.
    const perSocket = new Map<net.Socket, number>();
    const server = await rawServer((_n, _req, socket) => {
      const k = (perSocket.get(socket) ?? 0) + 1;
      perSocket.set(socket, k);
      if (k === 2) {
        socket.destroy();
        return undefined;
      }
      return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    });
    const pool = new HttpPool({ secure: false });
    try {
      assert.deepEqual(await send(pool, server.port), { status: 200, bytes: 2, broken: false });
      assert.deepEqual(await send(pool, server.port), { status: 200, bytes: 2, broken: false }, 'the GET was sent again and answered');
      assert.equal(pool.retries, 1);
      assert.equal(server.requests.length, 3, 'the server saw the first GET, the one it dropped, and the repeat');
      assert.equal(perSocket.size, 2);
      assert.deepEqual(await send(pool, server.port, 'POST'), { status: 0, bytes: 0, broken: true }, 'a POST is never repeated');
      assert.equal(pool.retries, 1);
    } finally {
      pool.destroy();
      await server.close();
    }
    // A server that drops the first request of every connection fails it: a new connection is never retried.
    const rude = await rawServer((_n, _req, socket) => void socket.destroy());
    const pool2 = new HttpPool({ secure: false });
    try {
      assert.deepEqual(await send(pool2, rude.port), { status: 0, bytes: 0, broken: true });
      assert.equal(pool2.retries, 0);
    } finally {
      pool2.destroy();
      await rude.close();
    }
  });

  it('does not reuse a connection past the idle time the server announces (Keep-Alive: timeout=N, less a margin)', async () => {
    const sockets = new Set<net.Socket>();
    const server = await rawServer((_n, _req, socket) => {
      sockets.add(socket);
      return 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok';
    });
    const pool = new HttpPool({ secure: false });
    try {
      await send(pool, server.port);
      await send(pool, server.port);
      assert.equal(sockets.size, 1, 'reused within the announced time');
      await new Promise((r) => setTimeout(r, 600));
      await send(pool, server.port);
      assert.equal(sockets.size, 2, 'a new connection once half of a 1 s keep-alive has passed idle');
      assert.equal(pool.retries, 0);
    } finally {
      pool.destroy();
      await server.close();
    }
  });

  it('serialises headers as node:http would, and refuses what node:http refuses', () => {
    const at = { host: '::1', port: 8080 };
    const body = Buffer.from('{}');
    const post = serializeRequest({ method: 'POST', path: '/a?b=1', headers: { 'content-type': 'application/json', 'content-length': 2, 'x-list': ['1', '2'] }, body, cohort: 'untouched' }, at, 80).toString('latin1');
    assert.equal(post, 'POST /a?b=1 HTTP/1.1\r\nHost: [::1]:8080\r\ncontent-type: application/json\r\ncontent-length: 2\r\nx-list: 1\r\nx-list: 2\r\nConnection: keep-alive\r\n\r\n{}');
    const empty = serializeRequest({ method: 'PUT', path: '/', headers: { host: 'shop', connection: 'close' }, cohort: 'untouched' }, { host: 'x', port: 80 }, 80).toString('latin1');
    assert.equal(empty, 'PUT / HTTP/1.1\r\nhost: shop\r\nconnection: close\r\nContent-Length: 0\r\n\r\n');
    assert.throws(() => serializeRequest({ method: 'GET', path: '/', headers: { 'x-a': 'b\r\nx-evil: 1' }, cohort: 'untouched' }, at, 80), /control character/);
    assert.throws(() => serializeRequest({ method: 'GET', path: '/a b', headers: {}, cohort: 'untouched' }, at, 80), /space/);
    assert.throws(() => serializeRequest({ method: 'GET', path: '/', headers: { 'x-a': 'snowman ☃' }, cohort: 'untouched' }, at, 80), /U\+00FF/);
  });
});
