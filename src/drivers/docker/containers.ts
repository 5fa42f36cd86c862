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

/** One engine event of a container (`docker events`), with the engine's time in epoch ms. */
export interface ContainerEvent {
  action: string;
  timeMs: number;
  /** For `kill`: the signal number, as the engine reports it. */
  signal?: string;
}

/** Events read at most, per call: a container sends a few per stop or start. */
const MAX_EVENT_BYTES = 256 * 1024;

/**
 * The container's events with the given actions between two engine times (epoch ms, the engine's
 * clock), oldest first. With an `until` the engine replays what it kept and ends the stream.
 */
export async function containerEvents(ctx: EngineCallContext, id: string, sinceMs: number, untilMs: number, actions: string[]): Promise<ContainerEvent[]> {
  const docker = ctx.connection.docker;
  const text = await engineCall(ctx, `events of ${short(id)}`, async (abortSignal) => {
    // The typings want numbers; the engine takes seconds with a fraction, which a string keeps exact.
    const opts = { since: engineStamp(sinceMs), until: engineStamp(untilMs), filters: { type: ['container'], container: [id], event: actions }, abortSignal };
    const stream = await docker.getEvents(opts as unknown as Docker.GetEventsOptions);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buf);
      size += buf.length;
      if (size > MAX_EVENT_BYTES) {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        break;
      }
    }
    return Buffer.concat(chunks).toString('utf8');
  });
  const events: ContainerEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: { Action?: unknown; status?: unknown; timeNano?: unknown; time?: unknown; Actor?: { Attributes?: Record<string, unknown> } };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue; // a line cut by MAX_EVENT_BYTES
    }
    const action = typeof e.Action === 'string' ? e.Action : typeof e.status === 'string' ? e.status : undefined;
    const timeMs = typeof e.timeNano === 'number' ? e.timeNano / 1e6 : typeof e.time === 'number' ? e.time * 1000 : undefined;
    if (action === undefined || timeMs === undefined) continue;
    const signal = e.Actor?.Attributes?.signal;
    events.push({ action, timeMs, ...(typeof signal === 'string' ? { signal } : {}) });
  }
  return events.sort((a, b) => a.timeMs - b.timeMs);
}

/** Epoch ms as the engine's `seconds.nanoseconds` timestamp. */
function engineStamp(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  return `${Math.floor(whole / 1000)}.${String((whole % 1000) * 1_000_000).padStart(9, '0')}`;
}
