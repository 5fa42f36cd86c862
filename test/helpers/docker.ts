import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { collectIssues } from '../../src/experiment/issues.js';
import type { FaultContext, Target } from '../../src/faults/types.js';
import { silentLogger } from '../../src/log.js';
import { sleep } from '../../src/util/abort.js';
import type { DockerConnection } from '../../src/drivers/docker/client.js';
import { parseDockerConfig, type DockerConfig } from '../../src/drivers/docker/config.js';
import { dockerDriver } from '../../src/drivers/docker/driver.js';
import { execInContainer } from '../../src/drivers/docker/exec.js';
import { toTarget } from '../../src/drivers/docker/targets.js';

export const TEST_IMAGE = 'firebreak-test/busybox:latest';
export const TEST_LABEL = 'firebreak.test';
/** The static busybox in the test image: exec commands must name it (the image has no PATH). */
export const BUSYBOX = '/bin/busybox';

const execFileP = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-test-images.sh', import.meta.url));

/** The engine the tests use: DOCKER_HOST and friends, else the local socket. */
export function testDockerConfig(): DockerConfig {
  const issues = collectIssues();
  const config = parseDockerConfig({}, issues);
  if (!config) throw new Error(`invalid Docker settings in the environment: ${issues.issues.map((i) => i.message).join('; ')}`);
  return config;
}

export function callContext(timeoutMs = 10_000): { signal: AbortSignal; logger: ReturnType<typeof silentLogger>; timeoutMs: number } {
  return { signal: new AbortController().signal, logger: silentLogger(), timeoutMs };
}

export async function connectTestDocker(): Promise<DockerConnection> {
  return dockerDriver.connect(testDockerConfig(), callContext(5_000));
}

/** Whether an engine answers, and why not when it does not. */
export async function dockerAvailable(): Promise<{ ok: true; connection: DockerConnection } | { ok: false; reason: string }> {
  try {
    return { ok: true, connection: await connectTestDocker() };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * Skips the calling suite (from a `before` hook) when no engine answers, printing why; with
 * FIREBREAK_REQUIRE_DOCKER=1 it fails instead, so CI cannot pass by skipping.
 */
export async function requireDocker(ctx: Mocha.Context): Promise<DockerConnection> {
  const found = await dockerAvailable();
  if (found.ok) return found.connection;
  if (process.env.FIREBREAK_REQUIRE_DOCKER === '1') throw new Error(`FIREBREAK_REQUIRE_DOCKER=1 but ${found.reason}`);
  console.log(`      skipping Docker tests: ${found.reason} (set FIREBREAK_REQUIRE_DOCKER=1 to fail instead)`);
  ctx.skip();
  throw new Error('unreachable');
}

/** Builds the busybox test image unless it is there already. */
export async function ensureTestImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(TEST_IMAGE).inspect();
    return;
  } catch {
    // fall through: build it
  }
  await execFileP(BUILD_SCRIPT, [], { timeout: 180_000 });
}

export interface RunOptions {
  /** Suffix of the container name (the run id is added). */
  name: string;
  /** Arguments to busybox, e.g. ['sleep', '600']. */
  cmd: string[];
  labels?: Record<string, string>;
  /** `host` (default) or a network name. */
  network?: string;
  aliases?: string[];
  ipv4Address?: string;
  hostConfig?: Docker.HostConfig;
}

/** Containers and networks of one test file, all labelled with its run id and removed in `after`. */
export class DockerTestbed {
  readonly runId = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  connection!: DockerConnection;
  config!: DockerConfig;

  get docker(): Docker {
    return this.connection.docker;
  }

  /** A fault context on a connection (a fresh one when given). */
  faultContext(connection: DockerConnection = this.connection, timeoutMs = 15_000): FaultContext<DockerConnection> {
    return {
      signal: new AbortController().signal,
      logger: silentLogger(),
      runId: this.runId,
      instanceId: `${this.runId}-${randomBytes(3).toString('hex')}`,
      timeoutMs,
      connection,
    };
  }

  async run(opts: RunOptions): Promise<{ id: string; name: string }> {
    const name = `fb-${this.runId}-${opts.name}`;
    const network = opts.network ?? 'host';
    const container = await this.docker.createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: opts.cmd,
      Labels: { [TEST_LABEL]: this.runId, ...opts.labels },
      HostConfig: { NetworkMode: network, ...opts.hostConfig },
      ...(network !== 'host'
        ? {
            NetworkingConfig: {
              EndpointsConfig: {
                [network]: {
                  ...(opts.aliases ? { Aliases: opts.aliases } : {}),
                  ...(opts.ipv4Address ? { IPAMConfig: { IPv4Address: opts.ipv4Address } } : {}),
                },
              },
            },
          }
        : {}),
    });
    await container.start();
    return { id: container.id, name };
  }

  /** A host-network container serving `ok` over HTTP on 127.0.0.1:port (busybox httpd). */
  async httpServer(name: string, port: number, extra: Partial<RunOptions> = {}): Promise<{ id: string; name: string }> {
    const c = await this.run({ name, cmd: ['sh', '-c', httpdScript(`127.0.0.1:${port}`)], ...extra });
    await waitUntil(() => httpAnswers(port), 10_000, `httpd on 127.0.0.1:${port} to answer`);
    return c;
  }

  /**
   * An internal bridge network for this test. With `fixedSubnet`, the subnet the engine picks is
   * written back as a user-configured one, so containers on it can have static addresses.
   */
  async network(name: string, fixedSubnet = false): Promise<{ id: string; name: string; subnet?: string }> {
    const full = `fb-${this.runId}-${name}`;
    const create = (ipam?: Docker.IPAM): Promise<Docker.Network> =>
      this.docker.createNetwork({ Name: full, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: { [TEST_LABEL]: this.runId }, ...(ipam ? { IPAM: ipam } : {}) });
    let network = await create();
    if (!fixedSubnet) return { id: network.id, name: full };
    const info = (await network.inspect()) as Docker.NetworkInspectInfo;
    const subnet = info.IPAM?.Config?.[0]?.Subnet;
    if (!subnet) throw new Error(`network ${full} has no IPv4 subnet`);
    await network.remove();
    network = await create({ Driver: 'default', Config: [{ Subnet: subnet }] });
    return { id: network.id, name: full, subnet };
  }

  async target(id: string): Promise<Target> {
    const [info] = await this.docker.listContainers({ all: true, filters: { id: [id] } });
    if (!info) throw new Error(`container ${id} not found`);
    return toTarget(info);
  }

  async inspect(id: string): Promise<Docker.ContainerInspectInfo> {
    return this.docker.getContainer(id).inspect();
  }

  /** Runs a command in a container (busybox applets by name) and returns its exit code and output. */
  async exec(id: string, args: string[], timeoutMs = 10_000): Promise<{ exitCode: number | null; output: string }> {
    const r = await execInContainer(this.faultContext(), id, [BUSYBOX, ...args], { timeoutMs });
    return { exitCode: r.exitCode, output: r.stdout + r.stderr };
  }

  /** Removes everything labelled with this run id, whatever state the tests left it in. */
  async cleanup(): Promise<void> {
    if (!this.connection) return;
    const filters = { label: [`${TEST_LABEL}=${this.runId}`] };
    const containers = await this.docker.listContainers({ all: true, filters });
    await Promise.all(containers.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    const networks = await this.docker.listNetworks({ filters });
    await Promise.all(networks.map((n) => this.docker.getNetwork(n.Id).remove().catch(() => undefined)));
    this.connection.close();
  }
}

/**
 * Registers the suite's hooks: `before` checks the engine (skip or fail, see requireDocker) and the
 * test image; `after` removes every container and network the suite made, even after failures.
 */
export function useDockerTestbed(): DockerTestbed {
  const bed = new DockerTestbed();
  before(async function () {
    this.timeout(200_000);
    bed.connection = await requireDocker(this);
    bed.config = testDockerConfig();
    await ensureTestImage(bed.docker);
  });
  after(async function () {
    this.timeout(60_000);
    await bed.cleanup();
  });
  return bed;
}

export function httpdScript(listen: string): string {
  return `mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${listen} -h /www`;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when http://127.0.0.1:port/ answers 200 within the time. */
export async function httpAnswers(port: number, timeoutMs = 1_500): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The state as `firebreak recover` would see it: through JSON, nothing else. */
export function throughJson<T>(state: T): T {
  return JSON.parse(JSON.stringify(state)) as T;
}
