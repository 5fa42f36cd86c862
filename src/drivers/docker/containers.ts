import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { FirebreakError } from '../../errors.js';
import { engineCall, isNotFound, statusOf, type EngineCallContext } from './client.js';

/** The container's inspect data, or undefined when it no longer exists. */
export async function inspectContainer(ctx: EngineCallContext, id: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await engineCall(ctx, `inspect ${short(id)}`, (abortSignal) => ctx.connection.docker.getContainer(id).inspect({ abortSignal }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Like inspectContainer, for prepare: a missing container is an error there. */
export async function requireContainer(ctx: EngineCallContext, id: string): Promise<Docker.ContainerInspectInfo> {
  const info = await inspectContainer(ctx, id);
  if (!info) throw new FirebreakError('FIREBREAK_E_DOCKER', `container ${id} does not exist on ${ctx.connection.where}`);
  return info;
}

/**
 * Runs an engine action whose "already done" answers are success: 304 (already started, already
 * stopped), and 409 when `conflictIsDone` (unpausing a container that is not paused).
 */
export async function idempotent(ctx: EngineCallContext, what: string, work: (signal: AbortSignal) => Promise<unknown>, extraMs = 0, conflictIsDone = false): Promise<'done' | 'already'> {
  try {
    await engineCall(ctx, what, work, extraMs);
    return 'done';
  } catch (err) {
    const status = statusOf(err);
    if (status === 304 || (conflictIsDone && status === 409)) return 'already';
    throw err;
  }
}

/** Starts the container unless it runs already; unpauses it if it is paused. */
export async function ensureRunning(ctx: EngineCallContext, id: string, logger: Logger): Promise<'started' | 'unpaused' | 'running' | 'gone'> {
  const info = await inspectContainer(ctx, id);
  if (!info) {
    logger.warn({ container: id }, 'container no longer exists; nothing to bring back');
    return 'gone';
  }
  if (info.State.Paused) {
    await idempotent(ctx, `unpause ${short(id)}`, (abortSignal) => ctx.connection.docker.getContainer(id).unpause({ abortSignal }), 0, true);
    return 'unpaused';
  }
  if (info.State.Running) return 'running';
  await idempotent(ctx, `start ${short(id)}`, (abortSignal) => ctx.connection.docker.getContainer(id).start({ abortSignal }));
  return 'started';
}

export function short(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

/** A one-line description of a container's state for messages. */
export function stateLine(info: Docker.ContainerInspectInfo | undefined): string {
  if (!info) return 'gone';
  const s = info.State;
  return s.Paused ? 'paused' : s.Restarting ? 'restarting' : s.Running ? 'running' : `${s.Status} (exit ${s.ExitCode})`;
}

/** The engine's clock (epoch ms), for comparing with times the engine records; ours if it gives none. */
export async function engineNow(ctx: EngineCallContext): Promise<number> {
  const docker = ctx.connection.docker;
  // The typings omit the options argument dockerode accepts.
  const info = (await engineCall(ctx, 'info', (abortSignal) => (docker.info as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal }))) as {
    SystemTime?: string;
  };
  const t = info.SystemTime ? Date.parse(info.SystemTime) : NaN;
  return Number.isFinite(t) ? t : Date.now();
}
