import { join } from 'node:path';
import type { IssueSink } from '../../experiment/issues.js';
import type { JsonObject } from '../../faults/types.js';
import { readTimeout } from '../core/attrs.js';

/**
 * The driver's section of `target.docker`. Only addresses and file paths: it is ledgered with every
 * fault so `firebreak recover` can reach the same engine.
 */
export interface DockerConfig extends JsonObject {
  /** `unix:///var/run/docker.sock`, `tcp://host:2376`, `http://...`, `https://...`. */
  host: string;
  /** TLS files by path (like DOCKER_CERT_PATH's ca.pem, cert.pem, key.pem). */
  ca: string | null;
  cert: string | null;
  key: string | null;
  /** Verify the engine's certificate against `ca` (DOCKER_TLS_VERIFY). */
  tlsVerify: boolean;
  /** Budget for one engine call; null: the caller's budget. */
  timeoutMs: number | null;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const KNOWN = ['host', 'ca', 'cert', 'key', 'tlsVerify', 'timeout'];

/**
 * Validates `target.docker` and fills what it leaves out the way the docker CLI does: DOCKER_HOST,
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH from the environment, else the local socket. The defaults are
 * written into the result so a later `recover` reaches the same engine whatever its environment.
 */
export function parseDockerConfig(
  raw: Record<string, unknown> | undefined,
  issues: IssueSink,
  env: NodeJS.ProcessEnv = process.env,
): DockerConfig | undefined {
  const input = raw ?? {};
  const before = issues.count;
  for (const k of Object.keys(input)) {
    if (!KNOWN.includes(k)) issues.add(k, `unknown setting "${k}"`, `one of ${KNOWN.join(', ')}`);
  }
  const host = readText(input, 'host', issues) ?? (env.DOCKER_HOST?.trim() || DEFAULT_DOCKER_HOST);
  const hostProblem = checkHost(host);
  if (hostProblem) issues.add(input.host === undefined ? '' : 'host', hostProblem, 'unix:///path, tcp://host:port, http(s)://host:port');

  const certDir = env.DOCKER_CERT_PATH?.trim();
  const fromEnv = input.host === undefined && certDir ? certDir : undefined;
  const ca = readText(input, 'ca', issues) ?? (fromEnv ? join(fromEnv, 'ca.pem') : null);
  const cert = readText(input, 'cert', issues) ?? (fromEnv ? join(fromEnv, 'cert.pem') : null);
  const key = readText(input, 'key', issues) ?? (fromEnv ? join(fromEnv, 'key.pem') : null);
  if ((cert === null) !== (key === null)) issues.add(cert === null ? 'cert' : 'key', 'cert and key go together');

  let tlsVerify = input.host === undefined && env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (input.tlsVerify !== undefined) {
    if (typeof input.tlsVerify === 'boolean') tlsVerify = input.tlsVerify;
    else issues.add('tlsVerify', `must be true or false, got ${JSON.stringify(input.tlsVerify)}`);
  }
  if (tlsVerify && ca === null) issues.add('tlsVerify', 'needs a ca file to verify against', 'ca: /path/to/ca.pem');

  const timeoutMs = readTimeout(input, issues);
  if (issues.count > before || timeoutMs === undefined) return undefined;
  return { host, ca, cert, key, tlsVerify, timeoutMs };
}

/** Why a host string cannot be used, or undefined when it can. */
export function checkHost(host: string): string | undefined {
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(host)?.[1]?.toLowerCase();
  if (scheme === 'unix') return host.length > 'unix://'.length ? undefined : 'unix:// needs a socket path';
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    try {
      const url = new URL(host.replace(/^tcp:/i, 'http:'));
      return url.hostname ? undefined : `${host} names no host`;
    } catch {
      return `${host} is not a valid address`;
    }
  }
  if (scheme === 'ssh' || scheme === 'npipe') return `${scheme}:// engines are not supported`;
  return `${JSON.stringify(host)} is not a Docker host address`;
}

function readText(input: Record<string, unknown>, key: string, issues: IssueSink): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') {
    issues.add(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v.trim();
}
