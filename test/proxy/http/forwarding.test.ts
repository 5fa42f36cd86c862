import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { COHORT, CANARY_KEY, send, sendExpectingError, sha256, startFront, startUpstream, type Front, type Upstream } from './helpers.js';

describe('proxy/http forwarding', () => {
  let upstream: Upstream;
  let front: Front;

  before(async () => {
    upstream = await startUpstream(4 * 1024 * 1024);
    front = await startFront(upstream.port, COHORT);
  });
  after(async () => {
    await front.close();
    await upstream.close();
  });

  it('keeps one client connection and one upstream connection alive across many requests', async () => {
    const clientConnsBefore = front.connections;
    const upstreamConnsBefore = upstream.connections;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<net.Socket>();
    for (let i = 0; i < 50; i++) {
      const reply = await send(front.port, { agent, headers: { 'x-user': `u${i}` } });
      assert.equal(reply.status, 200);
      sockets.add(reply.socket);
    }
    agent.destroy();
    assert.equal(sockets.size, 1, 'the client reused one socket');
    assert.equal(front.connections - clientConnsBefore, 1, 'the proxy accepted one connection');
    assert.ok(upstream.connections - upstreamConnsBefore <= 1, `upstream connections: ${upstream.connections - upstreamConnsBefore}`);
  });

  it('streams a 4 MB GET body through intact', async () => {
    const reply = await send(front.port, { path: '/blob' });
    assert.equal(reply.body.length, upstream.blob.length);
    assert.equal(sha256(reply.body), sha256(upstream.blob));
  });

  it('streams a 4 MB POST body both ways intact, with and without Content-Length', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    const withLength = await send(front.port, { method: 'POST', path: '/echo', body, headers: { 'Content-Length': body.length } });
    assert.equal(upstream.lastBodySha, sha256(body), 'upstream received it intact');
    assert.equal(sha256(withLength.body), sha256(body), 'client received the echo intact');

    // A chunked request: the proxy consumes Transfer-Encoding and must re-chunk it upstream.
    const chunked = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: front.port, method: 'POST', path: '/echo', agent: false, signal: AbortSignal.timeout(10_000) }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve(Buffer.concat(parts)));
      });
      req.on('error', reject);
      for (let off = 0; off < body.length; off += 256 * 1024) req.write(body.subarray(off, off + 256 * 1024));
      req.end();
    });
    assert.equal(upstream.lastBodySha, sha256(body));
    assert.equal(sha256(chunked), sha256(body));
  });

  it('answers Expect: 100-continue itself and forwards the body', async () => {
    const body = Buffer.from('after the continue');
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: front.port, method: 'POST', path: '/echo', agent: false, headers: { Expect: '100-continue', 'Content-Length': body.length }, signal: AbortSignal.timeout(5000) },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve(Buffer.concat(parts)));
        },
      );
      req.on('continue', () => req.end(body));
      req.on('error', reject);
    });
    assert.equal(echoed.toString(), body.toString());
    assert.ok(!upstream.lastHeaders.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'expect'), 'Expect not forwarded');
  });

  it('preserves end-to-end headers, drops hop-by-hop ones and adds Via', async () => {
    const reply = await send(front.port, {
      path: '/headers',
      headers: { 'X-Trace': 'abc', Connection: 'keep-alive, X-Hop', 'X-Hop': 'secret', 'Keep-Alive': 'timeout=9', TE: 'trailers', Cookie: 'a=1' },
    });
    const received = JSON.parse(reply.body.toString()) as string[];
    const names = received.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    const value = (name: string): string | undefined => received[received.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === name) + 1];
    assert.equal(value('x-trace'), 'abc');
    assert.equal(value('cookie'), 'a=1');
    assert.equal(value('via'), '1.1 firebreak');
    assert.ok(value('host')?.startsWith('127.0.0.1:'), 'Host passes as the client sent it');
    assert.ok(!names.includes('x-hop'), 'header named by Connection dropped');
    assert.ok(!names.includes('keep-alive') && !names.includes('te'), 'hop-by-hop dropped');
    // Response: repeated headers kept, the upstream's Connection-named header dropped.
    const multi = reply.rawHeaders.filter((_, i) => i > 0 && reply.rawHeaders[i - 1]!.toLowerCase() === 'x-multi');
    assert.deepEqual(multi, ['a', 'b']);
    assert.equal(reply.headers['x-secret-hop'], undefined);
  });

  it('answers HEAD and 204 without a body and keeps the connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const head = await send(front.port, { agent, method: 'HEAD', path: '/blob' });
    assert.equal(head.headers['content-length'], String(upstream.blob.length));
    assert.equal(head.body.length, 0);
    const empty = await send(front.port, { agent, path: '/status?code=204' });
    assert.equal(empty.status, 204);
    const after = await send(front.port, { agent });
    assert.equal(after.status, 200);
    assert.equal(after.socket, head.socket);
    agent.destroy();
  });

  it('refuses Upgrade with 501', async () => {
    const reply = await send(front.port, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'x-user': CANARY_KEY } }).catch((e: unknown) => e);
    // node's client reports a 501 to an upgrade request as a normal response.
    assert.equal((reply as { status?: number }).status, 501, String(reply));
  });

  it('refuses CONNECT with 501', async () => {
    const socket = net.connect(front.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid:443\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'close');
    assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 501 /);
  });

  it('answers 502 when the upstream is down, and follows updateUpstream', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));

    front.handler.updateUpstream(`127.0.0.1:${deadPort}`);
    const down = await send(front.port);
    assert.equal(down.status, 502);

    front.handler.updateUpstream(`127.0.0.1:${upstream.port}`);
    assert.equal((await send(front.port)).status, 200);
  });

  it('answers 502 when the upstream resets before answering', async () => {
    const rude = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    front.handler.updateUpstream(`127.0.0.1:${(rude.address() as net.AddressInfo).port}`);
    try {
      assert.equal((await send(front.port)).status, 502);
    } finally {
      front.handler.updateUpstream(`127.0.0.1:${upstream.port}`);
      await new Promise<void>((r) => rude.close(() => r()));
    }
  });

  it('sends an idempotent request again when a reused upstream connection turns out closed', async () => {
    // Answers the first request of each connection, then resets the connection on the next one, as an
    // upstream closing an idle keep-alive connection just as the proxy reuses it.
    let connections = 0;
    const flaky = net.createServer((s) => {
      connections += 1;
      let seen = 0;
      s.on('data', () => {
        seen += 1;
        if (seen === 1) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else s.resetAndDestroy();
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    front.handler.updateUpstream(`127.0.0.1:${(flaky.address() as net.AddressInfo).port}`);
    try {
      assert.equal((await send(front.port)).status, 200);
      assert.equal((await send(front.port)).status, 200, 'retried on a fresh connection');
      assert.equal(connections, 2);
      // A POST on the reused connection is not repeated (the upstream may have acted on it): 502.
      assert.equal((await send(front.port, { method: 'POST', path: '/', body: Buffer.from('x') })).status, 502);
      assert.equal(connections, 2, 'no second attempt');
    } finally {
      front.handler.updateUpstream(`127.0.0.1:${upstream.port}`);
      flaky.close();
    }
  });

  it('closes the client connection when the upstream breaks off mid-body, or answers 502 if nothing was sent', async () => {
    const breaking = net.createServer((s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(10));
        setTimeout(() => s.resetAndDestroy(), 50);
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => breaking.listen(0, '127.0.0.1', r));
    front.handler.updateUpstream(`127.0.0.1:${(breaking.address() as net.AddressInfo).port}`);
    try {
      const midBody = await sendExpectingError(front.port);
      assert.ok(midBody.error, 'the client saw the response break off');
      // With the response head held back by a downstream latency, nothing was sent yet: a clean 502.
      front.handler.updateToxics([{ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 300 } }]);
      const held = await send(front.port, { headers: { 'x-user': CANARY_KEY } });
      assert.equal(held.status, 502);
    } finally {
      front.handler.updateToxics([]);
      front.handler.updateUpstream(`127.0.0.1:${upstream.port}`);
      breaking.close();
    }
  });

  it('closeAll closes client connections in flight', async () => {
    const pending = sendExpectingError(front.port, { path: '/delay?ms=5000' });
    await new Promise((r) => setTimeout(r, 200));
    front.handler.closeAll();
    const result = await pending;
    assert.ok(result.error, 'the client connection was closed');
    assert.ok(result.ms < 2000, `closed after ${result.ms} ms`);
    assert.equal((await send(front.port)).status, 200, 'the handler still serves new connections');
  });
});
