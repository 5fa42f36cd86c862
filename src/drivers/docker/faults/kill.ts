import type { AttributeDoc } from '../../../experiment/attributes.js';
import { readString, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import type { DockerConnection } from '../client.js';
import { engineCall, statusOf } from '../client.js';
import { short } from '../containers.js';
import { DEFAULT_GRACE_MS, EXIT_SETTLE_MS, label, normalizeSignal, prepareStopped, readRecovery, RECOVERY_ATTRS, stoppingFault, stopWindowMs, type RecoveryAttrs, type StoppedRef } from './common.js';

export interface KillAttrs extends RecoveryAttrs {
  signal: string;
}

export interface KillState extends StoppedRef {
  signal: string;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'signal', kind: 'string', default: 'SIGKILL', summary: 'The signal sent to the main process: SIGKILL, SIGTERM, SIGUSR1, ... (SIG is optional).' },
  ...RECOVERY_ATTRS,
];

/** Sends a signal to the container's main process (SIGKILL by default: the container dies at once). */
export const dockerKill: FaultType<KillAttrs, KillState, DockerConnection> = {
  type: 'docker.kill',
  driver: 'docker',
  summary: 'Kills the container with a signal (default SIGKILL); revert starts it again, or waits for its orchestrator.',
  scope: 'target',
  attributes: ATTRS,
  example: { signal: 'SIGKILL', recovery: 'firebreak' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const raw = readString(attrs, 'signal', issues) ?? 'SIGKILL';
    const signal = normalizeSignal(raw);
    if (!signal) issues.add('signal', `unknown signal ${JSON.stringify(raw)}`, 'like SIGKILL, SIGTERM, SIGUSR1');
    const recovery = readRecovery(attrs, issues);
    if (!signal || !recovery || issues.count > before) return undefined;
    return { signal, ...recovery };
  },
  describe(a, target) {
    return `kill ${label(target)} with ${a.signal}${a.recovery === 'orchestrator' ? ' (its orchestrator restarts it)' : ''}`;
  },
  async prepare(ctx, a, target) {
    return { ...(await prepareStopped(ctx, target, 'docker.kill', a)), signal: a.signal };
  },
  async apply(ctx, s) {
    if (!s.wasRunning) return;
    try {
      // With SIGKILL the engine returns once the container has exited.
      await engineCall(ctx, `kill ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).kill({ signal: s.signal, abortSignal }));
    } catch (err) {
      // 409: not running any more, which is what a kill wants.
      if (statusOf(err) !== 409) throw err;
    }
  },
  ...stoppingFault<KillState>(killWindowMs),
};

/**
 * How long after the signal the container may still be on its way down. SIGKILL: the exit only.
 * Another signal leaves shutting down to the application: as long as `docker stop` would allow it.
 */
function killWindowMs(s: KillState): number {
  return s.signal === 'SIGKILL' ? EXIT_SETTLE_MS : stopWindowMs(DEFAULT_GRACE_MS);
}
