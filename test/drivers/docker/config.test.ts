import { strict as assert } from 'node:assert';
import { createServer, type Server, type Socket } from 'node:net';
import { parseDockerConfig, DEFAULT_DOCKER_HOST, type DockerConfig } from '../../../src/drivers/docker/config.js';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { callContext, freePort } from '../../helpers/docker.js';

function parse(raw: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv = {}): { config?: DockerConfig; messages: string[] } {
  const issues = collectIssues();
  const config = parseDockerConfig(raw, issues, env);
  return { ...(config ? { config } : {}), messages: issues.issues.map((i) => `${i.path}: ${i.message}`) };
}

describe('Docker driver settings', () => {
  const good: [string, Record<string, unknown> | undefined, NodeJS.ProcessEnv, Partial<DockerConfig>][] = [
    ['nothing: the local socket', undefined, {}, { host: DEFAULT_DOCKER_HOST, ca: null, tlsVerify: false, timeoutMs: null }],
    ['DOCKER_HOST from the environment', {}, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, { host: 'unix:///run/user/1000/docker.sock' }],
    [
      'DOCKER_TLS_VERIFY and DOCKER_CERT_PATH like the docker CLI',
      {},
      { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/etc/docker/certs' },
      { host: 'tcp://127.0.0.1:2376', ca: '/etc/docker/certs/ca.pem', cert: '/etc/docker/certs/cert.pem', key: '/etc/docker/certs/key.pem', tlsVerify: true },
    ],
    ['an explicit host ignores the environment', { host: 'tcp://127.0.0.1:2375' }, { DOCKER_HOST: 'unix:///elsewhere.sock', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, { host: 'tcp://127.0.0.1:2375', ca: null, tlsVerify: false }],
    ['TLS files by path', { host: 'https://127.0.0.1:2376', ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem', tlsVerify: true }, {}, { ca: '/c/ca.pem', tlsVerify: true }],
    ['a timeout', { timeout: '2s' }, {}, { timeoutMs: 2000 }],
  ];
  for (const [title, raw, env, expected] of good) {
    it(`accepts ${title}`, () => {
      const { config, messages } = parse(raw, env);
      assert.deepEqual(messages, []);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(config?.[k], v, k);
    });
  }

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown key', { hots: 'unix:///x' }, /unknown setting "hots"/],
    ['an unknown scheme', { host: 'ftp://127.0.0.1' }, /not a Docker host address/],
    ['ssh', { host: 'ssh://me@127.0.0.1' }, /ssh:\/\/ engines are not supported/],
    ['an empty socket path', { host: 'unix://' }, /needs a socket path/],
    ['a cert without a key', { host: 'tcp://127.0.0.1:2376', cert: '/c/cert.pem' }, /cert and key go together/],
    ['verification without a ca', { host: 'tcp://127.0.0.1:2376', tlsVerify: true }, /needs a ca file/],
    ['a bad timeout', { timeout: 'soon' }, /not a positive duration/],
  ];
  for (const [title, raw, message] of bad) {
    it(`refuses ${title}`, () => {
      const { config, messages } = parse(raw);
      assert.equal(config, undefined);
      assert.match(messages.join('\n'), message);
    });
  }
});

describe('an unreachable Docker engine', function () {
  this.timeout(10_000);

  async function expectUnreachable(config: DockerConfig, where: RegExp, reason: RegExp, withinMs = 3_000): Promise<void> {
    const t0 = Date.now();
    await assert.rejects(dockerDriver.connect(config, callContext(5_000)), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_DRIVER_UNREACHABLE'), String(err));
      assert.match(err.message, /^Docker engine at .* did not answer: /);
      assert.match(err.message, where);
      assert.match(err.message, reason);
      return true;
    });
    assert.ok(Date.now() - t0 < withinMs, `took ${Date.now() - t0} ms`);
  }

  it('fails fast and clearly when DOCKER_HOST names a socket that does not exist', async () => {
    const path = `/tmp/firebreak-no-such-${process.pid}-${Date.now()}.sock`;
    const { config } = parse({}, { DOCKER_HOST: `unix://${path}` });
    await expectUnreachable(config!, new RegExp(`unix://${path}`), /ENOENT/, 1_000);
  });

  it('reads DOCKER_HOST from the process environment through the driver', async () => {
    const saved = process.env.DOCKER_HOST;
    const path = `/tmp/firebreak-no-such-${process.pid}-env.sock`;
    process.env.DOCKER_HOST = `unix://${path}`;
    try {
      const issues = collectIssues();
      const config = dockerDriver.parseConfig({}, issues);
      assert.equal(config?.host, `unix://${path}`);
      await expectUnreachable(config!, new RegExp(path), /ENOENT/, 1_000);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('names a refused TCP port', async () => {
    const port = await freePort();
    const { config } = parse({ host: `tcp://127.0.0.1:${port}` });
    await expectUnreachable(config!, new RegExp(`127.0.0.1:${port}`), /ECONNREFUSED/, 1_000);
  });

  it('gives up within its timeout on an engine that accepts and never answers', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const { config } = parse({ host: `tcp://127.0.0.1:${port}`, timeout: '400ms' });
      await expectUnreachable(config!, /127\.0\.0\.1/, /no answer within 400 ms/, 2_500);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('says which TLS file it could not read', async () => {
    const { config } = parse({ host: 'tcp://127.0.0.1:2376', ca: '/nonexistent/ca.pem', tlsVerify: true });
    await expectUnreachable(config!, /2376/, /cannot read the TLS ca file \/nonexistent\/ca\.pem/, 1_000);
  });
});
