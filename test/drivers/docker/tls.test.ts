import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as connectUnix, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server } from 'node:tls';
import { promisify } from 'node:util';
import { parseDockerConfig } from '../../../src/drivers/docker/config.js';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { callContext, TEST_LABEL, useDockerTestbed } from '../../helpers/docker.js';

const run = promisify(execFile);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makeCertificates(dir: string): Promise<void> {
  const o = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir, timeout: 20_000 });
  await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=firebreak test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await o('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', `${who}-key.pem`, '-out', `${who}.csr`);
    await o('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', `${who}.ext`, '-out', `${who}.pem`);
  }
  // A second, unrelated CA for the negative case.
  await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=someone else', '-keyout', 'other-key.pem', '-out', 'other-ca.pem');
}

describe('the Docker engine over TLS with client certificates', function () {
  this.timeout(60_000);
  const bed = useDockerTestbed();
  let dir: string;
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  before(async function () {
    if (!/^unix:\/\//.test(bed.config.host)) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'firebreak-tls-'));
    await makeCertificates(dir);
    const socketPath = bed.config.host.slice('unix://'.length);
    // TLS in front of the engine's socket: what `dockerd --tlsverify` does, with the real engine behind.
    server = createTlsServer(
      {
        key: await readFile(join(dir, 'server-key.pem')),
        cert: await readFile(join(dir, 'server.pem')),
        ca: await readFile(join(dir, 'ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (tls) => {
        const engine = connectUnix(socketPath);
        sockets.add(tls).add(engine);
        tls.pipe(engine).pipe(tls);
        const end = (): void => {
          tls.destroy();
          engine.destroy();
        };
        tls.on('error', end).on('close', end);
        engine.on('error', end).on('close', end);
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function config(ca: string): ReturnType<typeof parseDockerConfig> {
    const issues = collectIssues();
    const c = parseDockerConfig(
      { host: `tcp://127.0.0.1:${port}`, ca: join(dir, ca), cert: join(dir, 'client.pem'), key: join(dir, 'client-key.pem'), tlsVerify: true },
      issues,
      {},
    );
    assert.deepEqual(issues.issues, []);
    return c;
  }

  it('connects with ca, cert and key by path and lists containers', async () => {
    const c = await bed.run({ name: 'tls', cmd: ['sleep', '600'] });
    const conn = await dockerDriver.connect(config('ca.pem')!, callContext());
    try {
      const targets = await dockerDriver.listTargets!(conn, { labels: { [TEST_LABEL]: bed.runId } }, callContext());
      assert.deepEqual(targets.map((t) => t.id), [c.id]);
    } finally {
      conn.close();
    }
  });

  it('refuses an engine whose certificate its CA did not sign', async () => {
    await assert.rejects(dockerDriver.connect(config('other-ca.pem')!, callContext()), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_DRIVER_UNREACHABLE'));
      assert.match(err.message, /did not answer: .*certificate/i);
      return true;
    });
  });
});
