import { constants } from 'node:os';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { FirebreakError } from '../../../errors.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { FaultType, Json, Target, VerifyResult } from '../../../faults/types.js';
import { readDuration, readString } from '../../core/attrs.js';
import { engineCall, type DockerConnection, type EngineCallContext } from '../client.js';
import { containerEvents, engineNow, ensureRunning, inspectContainer, requireContainer, stateLine, short } from '../containers.js';
import { sleep } from '../../../util/abort.js';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../targets.js';

type LoggedContext = EngineCallContext & { logger: Logger };

const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.id';

/** Who brings a stopped container back: firebreak's revert starts it, or something else does. */
export type Recovery = 'firebreak' | 'orchestrator';

export interface RecoveryAttrs {
  recovery: Recovery;
  recoveryTimeoutMs: number;
}

export const DEFAULT_RECOVERY_TIMEOUT_MS = 60_000;
/** Grace period of `docker stop` and `docker restart` when none is given (the engine's own default). */
export const DEFAULT_GRACE_MS = 10_000;
/** How long a container may take to exit once SIGKILL is sent. */
export const EXIT_SETTLE_MS = 2_000;
/** Room in a fault's budget for the engine calls around its own waiting (inspect, start, list). */
export const CALL_SLACK_MS = 5_000;

/** The grace period as the engine takes it: whole seconds, rounded up. */
export function graceSeconds(gracePeriodMs: number): number {
  return Math.ceil(gracePeriodMs / 1000);
}

/** How long after a stop signal a container may still be on its way down: the grace period, then the exit. */
export function stopWindowMs(gracePeriodMs: number): number {
  return graceSeconds(gracePeriodMs) * 1000 + EXIT_SETTLE_MS;
}

/** The attributes of faults that stop a container: who brings it back, and how long that may take. */
export const RECOVERY_ATTRS: readonly AttributeDoc[] = [
  { name: 'recovery', kind: 'enum', values: ['firebreak', 'orchestrator'], default: 'firebreak', summary: 'Who brings the container back: firebreak starts it at revert, or its orchestrator (a restart policy, compose, swarm) and revert waits for that.' },
  { name: 'recoveryTimeout', kind: 'duration', default: '60s', summary: 'How long revert waits for the container to run again.' },
];

export function readRecovery(attrs: Record<string, unknown>, issues: IssueSink): RecoveryAttrs | undefined {
  const recovery = readString(attrs, 'recovery', issues) ?? 'firebreak';
  if (recovery !== 'firebreak' && recovery !== 'orchestrator') {
    issues.add('recovery', `must be "firebreak" or "orchestrator", got ${JSON.stringify(recovery)}`);
    return undefined;
  }
  const recoveryTimeoutMs = readDuration(attrs, 'recoveryTimeout', issues, DEFAULT_RECOVERY_TIMEOUT_MS);
  if (recoveryTimeoutMs === undefined) return undefined;
  return { recovery, recoveryTimeoutMs };
}

/** Normalizes `KILL`, `sigterm`, `SIGUSR1` to `SIGKILL` style; undefined for an unknown signal. */
export function normalizeSignal(input: string): string | undefined {
  const upper = input.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return name in constants.signals ? name : undefined;
}

export function requireTarget(target: Target | undefined, type: string): Target {
  if (!target || target.driver !== 'docker') {
    throw new FirebreakError('FIREBREAK_E_INTERNAL', `${type} acts on one Docker container and was given ${target ? `a ${target.driver} target` : 'no target'}`);
  }
  return target;
}

export function label(target: Target | undefined): string {
  return target ? target.name : 'each selected container';
}

/**
 * The container's inspect data for a revert, or undefined when it no longer exists: then there is
 * nothing left to undo, which is logged (`nothing` says what) and is not an error.
 */
export async function inspectForRevert(ctx: LoggedContext, s: ContainerRef, nothing: string): Promise<Docker.ContainerInspectInfo | undefined> {
  const info = await inspectContainer(ctx, s.container);
  if (!info) ctx.logger.warn({ container: s.name }, `container no longer exists; ${nothing}`);
  return info;
}

/** A verify that judges the container's inspect data; a container that no longer exists fails it. */
export async function verifyContainer(ctx: EngineCallContext, s: ContainerRef, judge: (info: Docker.ContainerInspectInfo) => VerifyResult): Promise<VerifyResult> {
  const info = await inspectContainer(ctx, s.container);
  return info ? judge(info) : { ok: false, detail: `${s.name} no longer exists` };
}

/** Fields every container fault keeps in its state. */
export interface ContainerRef {
  container: string;
  name: string;
  [key: string]: Json;
}

/** What a stopping fault keeps to find the container, or its replacement, afterwards. */
export interface StoppedRef extends ContainerRef {
  wasRunning: boolean;
  recovery: string;
  recoveryTimeoutMs: number;
  /** Labels naming the container's service (Swarm, Compose): a replacement carries the same. */
  service: { [key: string]: string } | null;
  /** Epoch ms of prepare: a replacement is a container created after it. */
  preparedAt: number;
}

/** The state every stopping fault (kill, stop, restart) prepares: the container, how it comes back, its service. */
export async function prepareStopped(ctx: EngineCallContext, target: Target | undefined, type: string, recovery: RecoveryAttrs): Promise<StoppedRef> {
  const t = requireTarget(target, type);
  const info = await requireContainer(ctx, t.id);
  const service = serviceLabels(info.Config.Labels);
  return {
    container: info.Id,
    name: t.name,
    wasRunning: info.State.Running,
    recovery: recovery.recovery,
    recoveryTimeoutMs: recovery.recoveryTimeoutMs,
    service,
    // Compared with the engine's creation times of replacements: the engine's clock, not ours.
    preparedAt: recovery.recovery === 'orchestrator' && service ? await engineNow(ctx) : Date.now(),
  };
}

/**
 * The longest one apply or revert of a stopping fault may take: a stop still in progress (its
 * window), then the orchestrator's recovery time when recovery is left to it, and the calls around.
 */
export function stoppedBudgetMs(s: StoppedRef, windowMs: number): number {
  return windowMs + (s.recovery === 'orchestrator' ? s.recoveryTimeoutMs : 0) + CALL_SLACK_MS;
}

/** The labels that identify the container's service, for finding a replacement container. */
export function serviceLabels(labels: Record<string, string> | undefined): { [key: string]: string } | null {
  if (!labels) return null;
  if (labels[SWARM_SERVICE_LABEL]) return { [SWARM_SERVICE_LABEL]: labels[SWARM_SERVICE_LABEL] };
  if (labels[COMPOSE_PROJECT_LABEL] && labels[COMPOSE_SERVICE_LABEL]) {
    return { [COMPOSE_PROJECT_LABEL]: labels[COMPOSE_PROJECT_LABEL], [COMPOSE_SERVICE_LABEL]: labels[COMPOSE_SERVICE_LABEL] };
  }
  return null;
}

/**
 * Whether the container is back: running again itself, or (with orchestrator recovery) replaced by a
 * running container of the same service created after the fault was prepared.
 */
async function backUp(ctx: EngineCallContext, s: StoppedRef): Promise<{ ok: boolean; detail: string }> {
  const info = await inspectContainer(ctx, s.container);
  if (info && isUp(info)) return { ok: true, detail: `${s.name} is running` };
  if (s.recovery === 'orchestrator' && s.service) {
    const labels = Object.entries(s.service).map(([k, v]) => `${k}=${v}`);
    const list = await engineCall(ctx, `list containers of ${labels.join(',')}`, (abortSignal) =>
      ctx.connection.docker.listContainers({ filters: { label: labels, status: ['running'] }, abortSignal }),
    );
    // The list's Created is in whole seconds: narrow with it, then decide on inspect's exact time.
    const recent = list.filter((c) => c.Id !== s.container && c.Created * 1000 >= Math.floor(s.preparedAt / 1000) * 1000);
    let replacement: string | undefined;
    for (const c of recent) {
      const candidate = await inspectContainer(ctx, c.Id);
      if (candidate && isUp(candidate) && Date.parse(candidate.Created) > s.preparedAt) {
        replacement = candidate.Name.replace(/^\//, '');
        break;
      }
    }
    if (replacement) return { ok: true, detail: `${s.name} was replaced by ${replacement}` };
  }
  return { ok: false, detail: `${s.name} (${short(s.container)}) is ${stateLine(info)}` };
}

/**
 * Waits while a stop of the container is still in progress, so a revert never takes a container on
 * its way down for one that runs. An apply abandoned after its signal reached the engine leaves the
 * engine stopping the container (the engine goes on when the call is dropped): the container still
 * runs for up to its grace period, then exits.
 *
 * In progress means: it runs, and the engine's last `kill` or `die` event for it within `windowMs`
 * is a `kill` (a signal was sent and it has not died since), and it has not been started since
 * (a restart). The wait ends when it exits or starts again, or `windowMs` after that signal (a signal
 * it handled without exiting). Reads only the engine, so it works from the JSON state alone.
 */
export async function awaitStopInProgress(ctx: LoggedContext, s: ContainerRef, windowMs: number): Promise<void> {
  const info = await inspectContainer(ctx, s.container);
  if (!info || !info.State.Running || windowMs <= 0) return;
  const now = await engineNow(ctx);
  const last = (await containerEvents(ctx, s.container, now - windowMs, now, ['kill', 'die'])).at(-1);
  if (!last || last.action !== 'kill') return;
  const signalledAt = last.timeMs;
  const deadline = Date.now() + Math.max(0, signalledAt + windowMs - now);
  ctx.logger.debug({ container: s.name, signal: last.signal, windowMs }, 'revert: the container is being stopped; waiting for it to exit');
  for (;;) {
    const cur = await inspectContainer(ctx, s.container);
    if (!cur || !cur.State.Running || Date.parse(cur.State.StartedAt) > signalledAt) return;
    if (Date.now() >= deadline) {
      ctx.logger.debug({ container: s.name, signal: last.signal }, 'revert: the container still runs after the stop window; it kept running after the signal');
      return;
    }
    await sleep(Math.min(200, Math.max(1, deadline - Date.now())), ctx.signal);
  }
}

/**
 * The revert of a fault that stops a container. It first waits for a stop still in progress (see
 * awaitStopInProgress; `windowMs` bounds it). `firebreak` recovery then starts the container again (if
 * it was running before the fault); `orchestrator` recovery only waits, up to the timeout, for
 * something else (a restart policy, a supervisor, Compose or Swarm with a replacement) to bring it
 * back, and leaves the verdict to verify.
 */
export async function bringBack(ctx: LoggedContext, state: StoppedRef, windowMs: number): Promise<void> {
  if (!state.wasRunning) return;
  await awaitStopInProgress(ctx, state, windowMs);
  if (state.recovery === 'orchestrator') {
    const deadline = Date.now() + state.recoveryTimeoutMs;
    for (;;) {
      const up = await backUp(ctx, state);
      if (up.ok) {
        ctx.logger.debug({ container: state.name, detail: up.detail }, 'revert: the orchestrator brought it back');
        return;
      }
      if (Date.now() >= deadline) {
        ctx.logger.warn(
          { container: state.name, detail: up.detail, waitedMs: state.recoveryTimeoutMs },
          'container was not brought back by its orchestrator in time; firebreak leaves it as it is',
        );
        return;
      }
      await sleep(Math.min(500, Math.max(1, deadline - Date.now())), ctx.signal);
    }
  }
  const outcome = await ensureRunning(ctx, state.container, ctx.logger);
  ctx.logger.debug({ container: state.name, outcome }, 'revert: container running');
}

/**
 * The revert, verify and budget of a fault that stops a container (kill, stop, restart), given how
 * long after its signal the container may still be on its way down.
 */
export function stoppingFault<S extends StoppedRef>(windowOf: (s: S) => number): Required<Pick<FaultType<unknown, S, DockerConnection>, 'revert' | 'verify' | 'budgetMs'>> {
  return {
    revert: (ctx, s) => bringBack(ctx, s, windowOf(s)),
    verify: (ctx, s) => verifyUp(ctx, s),
    budgetMs: (s) => stoppedBudgetMs(s, windowOf(s)),
  };
}

/** Verify for faults that stopped a container: it runs again, or was replaced (when it ran before). */
export async function verifyUp(ctx: EngineCallContext, state: StoppedRef): Promise<{ ok: boolean; detail?: string }> {
  if (!state.wasRunning) return { ok: true, detail: 'the container was not running before the fault' };
  // A restart policy may still be between attempts: give it a short grace.
  const deadline = Date.now() + 2_000;
  for (;;) {
    const up = await backUp(ctx, state);
    if (up.ok) return up;
    if (Date.now() >= deadline) {
      const who = state.recovery === 'orchestrator' ? ' (recovery was left to the orchestrator)' : '';
      return { ok: false, detail: `${up.detail}${who}` };
    }
    await sleep(250, ctx.signal);
  }
}

export function isUp(info: { State: { Running: boolean; Paused: boolean; Restarting: boolean } }): boolean {
  return info.State.Running && !info.State.Paused && !info.State.Restarting;
}
