import type Docker from 'dockerode';
import { FirebreakError } from '../../../errors.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { Target } from '../../../faults/types.js';
import type { ProbeContext, ValueProbeType } from '../../../probes/types.js';
import { rejectUnknown } from '../../core/attrs.js';
import type { DockerConnection } from '../client.js';
import { inspectContainer } from '../containers.js';
import { parseDockerSelector, type DockerSelector } from '../selector.js';
import { listDockerTargets } from '../targets.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';

export interface StateProbeAttrs {
  /** Containers to look at; without it, the planned target cohorts. Stopped ones are included. */
  selector?: DockerSelector;
}

export interface ContainerState {
  id: string;
  name: string;
  cohort?: 'canary' | 'control';
  exists: boolean;
  status: string;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  /** `healthy`, `unhealthy`, `starting`, or `none` without a healthcheck. */
  health: string;
  restartCount: number;
  exitCode: number | null;
  startedAt: string | null;
}

export interface StateSummary {
  total: number;
  running: number;
  paused: number;
  healthy: number;
  unhealthy: number;
  restarts: number;
  /** Every container exists, runs and is not paused. */
  allRunning: boolean;
  /** allRunning, and none reports unhealthy or starting. */
  allHealthy: boolean;
}

export interface StateProbeValue extends StateSummary {
  containers: ContainerState[];
  cohorts?: { canary: StateSummary; control: StateSummary };
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'selector', kind: 'selector', summary: 'The containers to read (stopped ones included).', default: 'the planned target cohorts' },
];

/** Container state per target: running, paused, health, restart count; with totals tolerances can address. */
export const dockerContainerStateProbe: ValueProbeType<StateProbeAttrs, DockerConnection> = {
  kind: 'value',
  type: 'docker.state',
  driver: 'docker',
  summary: 'Reads the state of containers (running, paused, health, restart count) by selector or for the target cohorts.',
  attributes: ATTRS,
  example: { selector: { labels: { app: 'payments' } } },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const selector = readSelector(attrs.selector, issues.at('selector'));
    if (selector === null || issues.count > before) return undefined;
    return selector ? { selector } : {};
  },
  async run(ctx, attrs): Promise<StateProbeValue> {
    const picked = await pick(ctx, attrs);
    const containers = await Promise.all(picked.map(async ({ target, cohort }) => describeContainer(target, cohort, await inspectContainer(ctx, target.id))));
    const value: StateProbeValue = { ...summarize(containers), containers };
    if (!attrs.selector && ctx.targets) {
      value.cohorts = {
        canary: summarize(containers.filter((c) => c.cohort === 'canary')),
        control: summarize(containers.filter((c) => c.cohort === 'control')),
      };
    }
    return value;
  },
};

async function pick(ctx: ProbeContext<DockerConnection>, attrs: StateProbeAttrs): Promise<{ target: Target; cohort?: 'canary' | 'control' }[]> {
  if (attrs.selector) {
    const targets = await listDockerTargets(ctx, { includeStopped: true, ...attrs.selector });
    return targets.map((target) => ({ target }));
  }
  if (!ctx.targets) throw new FirebreakError('FIREBREAK_E_PROBE', 'docker.state needs a selector, or a target cohort to look at');
  return [
    ...ctx.targets.canary.filter((t) => t.driver === 'docker').map((target) => ({ target, cohort: 'canary' as const })),
    ...ctx.targets.control.filter((t) => t.driver === 'docker').map((target) => ({ target, cohort: 'control' as const })),
  ];
}

function describeContainer(target: Target, cohort: 'canary' | 'control' | undefined, info: Docker.ContainerInspectInfo | undefined): ContainerState {
  const base = { id: target.id, name: target.name, ...(cohort ? { cohort } : {}) };
  if (!info) {
    return { ...base, exists: false, status: 'gone', running: false, paused: false, restarting: false, health: 'none', restartCount: 0, exitCode: null, startedAt: null };
  }
  const s = info.State;
  return {
    ...base,
    exists: true,
    status: s.Status,
    running: s.Running,
    paused: s.Paused,
    restarting: s.Restarting,
    health: s.Health?.Status || 'none',
    restartCount: info.RestartCount ?? 0,
    exitCode: s.Running ? null : s.ExitCode,
    startedAt: s.StartedAt || null,
  };
}

export function summarize(containers: ContainerState[]): StateSummary {
  const up = (c: ContainerState): boolean => c.exists && c.running && !c.paused && !c.restarting;
  return {
    total: containers.length,
    running: containers.filter(up).length,
    paused: containers.filter((c) => c.paused).length,
    healthy: containers.filter((c) => c.health === 'healthy').length,
    unhealthy: containers.filter((c) => c.health === 'unhealthy').length,
    restarts: containers.reduce((n, c) => n + c.restartCount, 0),
    allRunning: containers.length > 0 && containers.every(up),
    allHealthy: containers.length > 0 && containers.every((c) => up(c) && (c.health === 'healthy' || c.health === 'none')),
  };
}

/** undefined: none given; null: given and invalid (reported). */
function readSelector(raw: unknown, issues: IssueSink): DockerSelector | undefined | null {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add('', 'must be a mapping (names, namePattern, labels, image, composeProject, composeService, includeStopped)');
    return null;
  }
  const before = issues.count;
  parseDockerSelector(raw as Record<string, unknown>, issues);
  return issues.count === before ? (raw as DockerSelector) : null;
}
