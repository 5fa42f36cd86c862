import { constants } from 'node:os';
import type { Logger } from 'pino';
import { FirebreakError } from '../../../errors.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { Json, Target } from '../../../faults/types.js';
import { readDuration, readString } from '../../core/attrs.js';
import { engineCall, type EngineCallContext } from '../client.js';
import { ensureRunning, inspectContainer, stateLine, short } from '../containers.js';
import { sleep } from '../../../util/abort.js';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../targets.js';

const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.id';

/** Who brings a stopped container back: firebreak's revert starts it, or something else does. */
export type Recovery = 'firebreak' | 'orchestrator';

export interface RecoveryAttrs {
  recovery: Recovery;
  recoveryTimeoutMs: number;
}

export const DEFAULT_RECOVERY_TIMEOUT_MS = 60_000;

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
 * The revert of a fault that stops a container. `firebreak` recovery starts it again (if it was
 * running before the fault); `orchestrator` recovery only waits, up to the timeout, for something else
 * (a restart policy, a supervisor, Compose or Swarm with a replacement) to bring it back, and leaves the
 * verdict to verify.
 */
export async function bringBack(ctx: EngineCallContext & { logger: Logger }, state: StoppedRef): Promise<void> {
  if (!state.wasRunning) return;
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
