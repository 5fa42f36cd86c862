import type { AttributeDoc } from '../../../experiment/attributes.js';
import { readDuration, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import { formatDuration } from '../../../util/duration.js';
import type { DockerConnection } from '../client.js';
import { idempotent, short } from '../containers.js';
import { DEFAULT_GRACE_MS, graceSeconds, label, prepareStopped, readRecovery, RECOVERY_ATTRS, stoppingFault, stopWindowMs, type RecoveryAttrs, type StoppedRef } from './common.js';

export interface StopAttrs extends RecoveryAttrs {
  gracePeriodMs: number;
}

export interface StopState extends StoppedRef {
  gracePeriodMs: number;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'gracePeriod', kind: 'duration', default: '10s', summary: 'How long the container has to stop on its stop signal before SIGKILL.' },
  ...RECOVERY_ATTRS,
];

/** Stops the container like `docker stop`: its stop signal, then SIGKILL after the grace period. */
export const dockerStop: FaultType<StopAttrs, StopState, DockerConnection> = {
  type: 'docker.stop',
  driver: 'docker',
  summary: 'Stops the container (stop signal, SIGKILL after a grace period); revert starts it again, or waits for its orchestrator.',
  scope: 'target',
  attributes: ATTRS,
  example: { gracePeriod: '5s' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const gracePeriodMs = readDuration(attrs, 'gracePeriod', issues, DEFAULT_GRACE_MS);
    const recovery = readRecovery(attrs, issues);
    if (gracePeriodMs === undefined || !recovery || issues.count > before) return undefined;
    return { gracePeriodMs, ...recovery };
  },
  describe(a, target) {
    return `stop ${label(target)} (grace ${formatDuration(a.gracePeriodMs)})${a.recovery === 'orchestrator' ? ', its orchestrator restarts it' : ''}`;
  },
  async prepare(ctx, a, target) {
    return { ...(await prepareStopped(ctx, target, 'docker.stop', a)), gracePeriodMs: a.gracePeriodMs };
  },
  async apply(ctx, s) {
    if (!s.wasRunning) return;
    const t = graceSeconds(s.gracePeriodMs);
    await idempotent(ctx, `stop ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).stop({ t, abortSignal }), t * 1000);
  },
  ...stoppingFault<StopState>((s) => stopWindowMs(s.gracePeriodMs)),
};
