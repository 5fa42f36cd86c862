import { readFile } from 'node:fs/promises';
import { explainError } from '../../util/cause.js';
import { Agent } from 'node:https';
import type Docker from 'dockerode';
import { FirebreakError } from '../../errors.js';
import { isAbortError, withTimeout } from '../../util/abort.js';
import type { DockerConfig } from './config.js';

/** A live connection to one engine: what faults and probes receive as `ctx.connection`. */
export interface DockerConnection {
  docker: Docker;
  /** Where the engine is, for messages: `unix:///var/run/docker.sock`, `https://host:2376`. */
  where: string;
  /** The config's per-call budget, when it sets one (overrides the caller's). */
  timeoutMs: number | null;
  /** Releases sockets kept for this connection. */
  close(): void;
}

/** What every engine call needs: the caller's signal and budget, and the connection. */
export interface EngineCallContext {
  signal: AbortSignal;
  timeoutMs: number;
  connection: DockerConnection;
}

/**
 * Builds a dockerode client for the config. Everything is passed explicitly (host or socket, TLS
 * material) so the environment cannot redirect a ledgered config to another engine.
 */
export async function openDocker(config: DockerConfig): Promise<DockerConnection> {
  const where = config.host;
  let agent: Agent | undefined;
  // Explicit undefineds: docker-modem merges DOCKER_HOST & co. from the environment under these keys.
  const options: Docker.DockerOptions = {
    host: undefined,
    port: undefined,
    socketPath: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
    ...({ pathPrefix: '/' } as object),
  };
  if (/^unix:\/\//i.test(config.host)) {
    options.socketPath = config.host.slice('unix://'.length);
  } else {
    const url = new URL(config.host.replace(/^tcp:/i, 'http:'));
    const tls = url.protocol === 'https:' || config.tlsVerify || config.ca !== null || config.cert !== null;
    options.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    options.port = url.port || (tls ? '2376' : '2375');
    options.protocol = tls ? 'https' : 'http';
    if (tls) {
      const [ca, cert, key] = await Promise.all([readTls(config.ca, 'ca'), readTls(config.cert, 'cert'), readTls(config.key, 'key')]);
      if (ca) options.ca = ca;
      if (cert) options.cert = cert;
      if (key) options.key = key;
      if (!config.tlsVerify) {
        // Like the docker CLI without --tlsverify: encrypted, certificate not checked.
        agent = new Agent({ rejectUnauthorized: false, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
        (options as { agent?: Agent }).agent = agent;
      }
    }
  }
  // dockerode is loaded on first connect, not when the driver is registered: validating an experiment
  // (or any command that never reaches an engine) does not pay for it.
  const { default: DockerClient } = await import('dockerode');
  try {
    return { docker: new DockerClient(options), where, timeoutMs: config.timeoutMs, close: () => agent?.destroy() };
  } catch (err) {
    // docker-modem reads the environment while constructing and throws on a malformed DOCKER_HOST.
    throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `Docker engine at ${where} could not be set up: ${reasonOf(err)}`, { cause: err });
  }
}

async function readTls(path: string | null, what: string): Promise<Buffer | undefined> {
  if (path === null) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `cannot read the TLS ${what} file ${path}: ${explainError(err)}`, { cause: err });
  }
}

/**
 * Runs one engine call within the budget (the config's, else the caller's, plus `extraMs` for calls
 * that wait on purpose, like a stop's grace period). The call receives a signal to hand to dockerode
 * as `abortSignal`. Engine refusals become FIREBREAK_E_DOCKER with the HTTP status in `details`;
 * timeouts stay FIREBREAK_E_TIMEOUT; the caller's abort passes through unchanged.
 */
export async function engineCall<T>(ctx: EngineCallContext, what: string, work: (signal: AbortSignal) => Promise<T>, extraMs = 0): Promise<T> {
  const budget = (ctx.connection.timeoutMs ?? ctx.timeoutMs) + extraMs;
  try {
    return await withTimeout(`docker ${what}`, budget, work, ctx.signal);
  } catch (err) {
    if (err instanceof FirebreakError) throw err;
    if (ctx.signal.aborted && (isAbortError(err) || err === ctx.signal.reason)) throw err;
    const statusCode = statusOf(err);
    throw new FirebreakError('FIREBREAK_E_DOCKER', `docker ${what} at ${ctx.connection.where}: ${reasonOf(err)}`, {
      cause: err,
      details: statusCode === undefined ? undefined : { statusCode },
    });
  }
}

/** The engine's HTTP status of a failed call, if it answered. */
export function statusOf(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
    const details = (e as { details?: { statusCode?: unknown } }).details;
    if (details && typeof details.statusCode === 'number') return details.statusCode;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** The engine's own message after its HTTP status (`HTTP 404: No such container: x`), else the cause (`ENOENT /var/run/docker.sock`). */
export function reasonOf(err: unknown): string {
  return explainError(err);
}
