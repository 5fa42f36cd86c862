import { FirebreakError } from '../../errors.js';
import { isAbortError, withTimeout } from '../../util/abort.js';
import type { Driver } from '../types.js';
import { openDocker, reasonOf, type DockerConnection } from './client.js';
import { parseDockerConfig, type DockerConfig } from './config.js';
import { dockerCpu } from './faults/cpu.js';
import { dockerExec } from './faults/exec.js';
import { dockerKill } from './faults/kill.js';
import { dockerMemory } from './faults/memory.js';
import { dockerPartition } from './faults/partition.js';
import { dockerPause } from './faults/pause.js';
import { dockerRestart } from './faults/restart.js';
import { dockerStop } from './faults/stop.js';
import { dockerSaturationProbe } from './probes/saturation.js';
import { dockerContainerStateProbe } from './probes/state.js';
import { parseDockerSelector } from './selector.js';
import { listDockerTargets, matchesDockerSelector } from './targets.js';

/** Container faults and probes through a Docker engine (local socket, TCP or TLS). */
export const dockerDriver: Driver<DockerConfig, DockerConnection> = {
  name: 'docker',
  summary: 'Containers on a Docker engine: kill, stop, pause, restart, partition, CPU and memory squeeze, exec.',
  faults: [dockerKill, dockerStop, dockerPause, dockerRestart, dockerPartition, dockerCpu, dockerMemory, dockerExec],
  probes: [dockerContainerStateProbe, dockerSaturationProbe],
  parseConfig(raw, issues) {
    return parseDockerConfig(raw, issues);
  },
  parseSelector(raw, issues) {
    parseDockerSelector(raw, issues);
  },
  async connect(config, ctx) {
    const unreachable = (reason: string, cause?: unknown): FirebreakError =>
      new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `Docker engine at ${config.host} did not answer: ${reason}`, { cause });
    let conn: DockerConnection;
    try {
      conn = await openDocker(config);
    } catch (err) {
      throw unreachable(reasonOf(err), err);
    }
    const budget = config.timeoutMs ?? ctx.timeoutMs;
    try {
      await withTimeout('docker ping', budget, (abortSignal) => (conn.docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(conn.docker, { abortSignal }), ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted && (isAbortError(err) || err === ctx.signal.reason)) throw err;
      const reason = err instanceof FirebreakError && err.code === 'FIREBREAK_E_TIMEOUT' ? `no answer within ${budget} ms` : reasonOf(err);
      throw unreachable(reason, err);
    }
    ctx.logger.debug({ host: conn.where }, 'docker engine answered');
    return conn;
  },
  async disconnect(conn) {
    conn.close();
  },
  async listTargets(conn, selector, ctx) {
    return listDockerTargets({ signal: ctx.signal, timeoutMs: ctx.timeoutMs, connection: conn }, selector);
  },
  matchesTarget(target, selector) {
    return matchesDockerSelector(target, selector);
  },
};
