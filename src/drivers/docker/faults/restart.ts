import { readDuration, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import { formatDuration } from '../../../util/duration.js';
import type { DockerConnection } from '../client.js';
import { engineCall } from '../client.js';
import { ensureRunning, requireContainer, short } from '../containers.js';
import { label, requireTarget, verifyUp, type StoppedRef } from './common.js';
import { DEFAULT_GRACE_MS } from './stop.js';

export interface RestartAttrs {
  gracePeriodMs: number;
}

export interface RestartState extends StoppedRef {
  gracePeriodMs: number;
}

/** Restarts the container like `docker restart`: a cold start with everything that comes with it. */
export const dockerRestart: FaultType<RestartAttrs, RestartState, DockerConnection> = {
  type: 'docker.restart',
  driver: 'docker',
  summary: 'Restarts the container (stop with a grace period, then start); revert makes sure it runs.',
  scope: 'target',
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ['gracePeriod'], issues);
    const gracePeriodMs = readDuration(attrs, 'gracePeriod', issues, DEFAULT_GRACE_MS);
    return gracePeriodMs === undefined || issues.count > before ? undefined : { gracePeriodMs };
  },
  describe(a, target) {
    return `restart ${label(target)} (grace ${formatDuration(a.gracePeriodMs)})`;
  },
  async prepare(ctx, a, target) {
    const t = requireTarget(target, 'docker.restart');
    const info = await requireContainer(ctx, t.id);
    return {
      container: info.Id,
      name: t.name,
      gracePeriodMs: a.gracePeriodMs,
      wasRunning: info.State.Running,
      // The revert itself makes sure it runs: verification looks at this container only.
      recovery: 'firebreak',
      recoveryTimeoutMs: 0,
      service: null,
      preparedAt: Date.now(),
    };
  },
  async apply(ctx, s) {
    const t = Math.ceil(s.gracePeriodMs / 1000);
    await engineCall(ctx, `restart ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).restart({ t, abortSignal }), t * 1000);
  },
  async revert(ctx, s) {
    if (!s.wasRunning) return;
    await ensureRunning(ctx, s.container, ctx.logger);
  },
  async verify(ctx, s) {
    return verifyUp(ctx, s);
  },
};
