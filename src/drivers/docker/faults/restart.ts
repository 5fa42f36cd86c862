import type { AttributeDoc } from '../../../experiment/attributes.js';
import { readDuration, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import { formatDuration } from '../../../util/duration.js';
import type { DockerConnection } from '../client.js';
import { engineCall } from '../client.js';
import { short } from '../containers.js';
import { DEFAULT_GRACE_MS, graceSeconds, label, prepareStopped, stoppingFault, stopWindowMs, type StoppedRef } from './common.js';

export interface RestartAttrs {
  gracePeriodMs: number;
}

export interface RestartState extends StoppedRef {
  gracePeriodMs: number;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'gracePeriod', kind: 'duration', default: '10s', summary: 'How long the container has to stop on its stop signal before SIGKILL.' },
];

/** Restarts the container like `docker restart`: a cold start with everything that comes with it. */
export const dockerRestart: FaultType<RestartAttrs, RestartState, DockerConnection> = {
  type: 'docker.restart',
  driver: 'docker',
  summary: 'Restarts the container (stop with a grace period, then start); revert makes sure it runs.',
  scope: 'target',
  attributes: ATTRS,
  example: { gracePeriod: '5s' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const gracePeriodMs = readDuration(attrs, 'gracePeriod', issues, DEFAULT_GRACE_MS);
    return gracePeriodMs === undefined || issues.count > before ? undefined : { gracePeriodMs };
  },
  describe(a, target) {
    return `restart ${label(target)} (grace ${formatDuration(a.gracePeriodMs)})`;
  },
  async prepare(ctx, a, target) {
    // The revert itself makes sure it runs: verification looks at this container only.
    const ref = await prepareStopped(ctx, target, 'docker.restart', { recovery: 'firebreak', recoveryTimeoutMs: 0 });
    return { ...ref, service: null, gracePeriodMs: a.gracePeriodMs };
  },
  async apply(ctx, s) {
    const t = graceSeconds(s.gracePeriodMs);
    await engineCall(ctx, `restart ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).restart({ t, abortSignal }), t * 1000);
  },
  // Revert waits out a restart still stopping the container (an abandoned apply), then makes sure it runs.
  ...stoppingFault<RestartState>((s) => stopWindowMs(s.gracePeriodMs)),
};
