import { readDuration, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import { formatDuration } from '../../../util/duration.js';
import type { DockerConnection } from '../client.js';
import { engineNow, idempotent, requireContainer, short } from '../containers.js';
import { bringBack, label, readRecovery, requireTarget, verifyUp, serviceLabels, type RecoveryAttrs, type StoppedRef } from './common.js';

export interface StopAttrs extends RecoveryAttrs {
  gracePeriodMs: number;
}

export interface StopState extends StoppedRef {
  gracePeriodMs: number;
}

export const DEFAULT_GRACE_MS = 10_000;

/** Stops the container like `docker stop`: its stop signal, then SIGKILL after the grace period. */
export const dockerStop: FaultType<StopAttrs, StopState, DockerConnection> = {
  type: 'docker.stop',
  driver: 'docker',
  summary: 'Stops the container (stop signal, SIGKILL after a grace period); revert starts it again, or waits for its orchestrator.',
  scope: 'target',
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ['gracePeriod', 'recovery', 'recoveryTimeout'], issues);
    const gracePeriodMs = readDuration(attrs, 'gracePeriod', issues, DEFAULT_GRACE_MS);
    const recovery = readRecovery(attrs, issues);
    if (gracePeriodMs === undefined || !recovery || issues.count > before) return undefined;
    return { gracePeriodMs, ...recovery };
  },
  describe(a, target) {
    return `stop ${label(target)} (grace ${formatDuration(a.gracePeriodMs)})${a.recovery === 'orchestrator' ? ', its orchestrator restarts it' : ''}`;
  },
  async prepare(ctx, a, target) {
    const t = requireTarget(target, 'docker.stop');
    const info = await requireContainer(ctx, t.id);
    const service = serviceLabels(info.Config.Labels);
    return {
      container: info.Id,
      name: t.name,
      gracePeriodMs: a.gracePeriodMs,
      wasRunning: info.State.Running,
      recovery: a.recovery,
      recoveryTimeoutMs: a.recoveryTimeoutMs,
      service,
      // Compared with the engine's creation times of replacements: the engine's clock, not ours.
      preparedAt: a.recovery === 'orchestrator' && service ? await engineNow(ctx) : Date.now(),
    };
  },
  async apply(ctx, s) {
    if (!s.wasRunning) return;
    const t = Math.ceil(s.gracePeriodMs / 1000);
    await idempotent(ctx, `stop ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).stop({ t, abortSignal }), t * 1000);
  },
  async revert(ctx, s) {
    await bringBack(ctx, s);
  },
  async verify(ctx, s) {
    return verifyUp(ctx, s);
  },
};
