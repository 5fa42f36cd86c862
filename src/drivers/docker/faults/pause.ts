import type { AttributeDoc } from '../../../experiment/attributes.js';
import { rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import type { DockerConnection } from '../client.js';
import { idempotent, requireContainer, short } from '../containers.js';
import { inspectForRevert, label, requireTarget, verifyContainer, type ContainerRef } from './common.js';

export interface PauseState extends ContainerRef {
  /** Paused before the fault: then the fault neither pauses nor unpauses it. */
  wasPaused: boolean;
}

const ATTRS: readonly AttributeDoc[] = [];

/** Freezes every process of the container (cgroup freezer): it holds its sockets but answers nothing. */
export const dockerPause: FaultType<Record<string, never>, PauseState, DockerConnection> = {
  type: 'docker.pause',
  driver: 'docker',
  summary: 'Pauses (freezes) the container; revert unpauses it.',
  scope: 'target',
  attributes: ATTRS,
  example: {},
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    return issues.count > before ? undefined : {};
  },
  describe(_a, target) {
    return `pause ${label(target)}`;
  },
  async prepare(ctx, _a, target) {
    const t = requireTarget(target, 'docker.pause');
    const info = await requireContainer(ctx, t.id);
    return { container: info.Id, name: t.name, wasPaused: info.State.Paused };
  },
  async apply(ctx, s) {
    if (s.wasPaused) return;
    await idempotent(ctx, `pause ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).pause({ abortSignal }));
  },
  async revert(ctx, s) {
    if (s.wasPaused) return;
    const info = await inspectForRevert(ctx, s, 'nothing to unpause');
    if (!info?.State.Paused) return;
    // 409 "not paused": someone unpaused it in between, which is the goal.
    await idempotent(ctx, `unpause ${short(s.container)}`, (abortSignal) => ctx.connection.docker.getContainer(s.container).unpause({ abortSignal }), 0, true);
  },
  async verify(ctx, s) {
    return verifyContainer(ctx, s, (info) => {
      if (s.wasPaused) return { ok: info.State.Paused, detail: 'the container was paused before the fault' };
      return info.State.Paused ? { ok: false, detail: `${s.name} is still paused` } : { ok: true, detail: `${s.name} is not paused` };
    });
  },
};
