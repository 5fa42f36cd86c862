import type Docker from 'dockerode';
import { FirebreakError } from '../../errors.js';
import type { TargetSelector } from '../types.js';
import type { JsonObject, Target } from '../../faults/types.js';
import { GENERIC_SELECTOR_KEYS, matchesSelector } from '../../cohort/match.js';
import { engineCall, type EngineCallContext } from './client.js';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** Selector keys the Docker driver adds to the generic ones. */
export const DOCKER_SELECTOR_KEYS = ['composeProject', 'composeService', 'includeStopped'] as const;

export interface DockerSelector extends TargetSelector {
  composeProject?: string;
  composeService?: string;
  /** Also list created, exited and dead containers (default: running and paused only). */
  includeStopped?: boolean;
}

/**
 * Lists containers as targets: running (and paused) ones by default, all with `includeStopped`.
 * Labels, Compose project and service are filtered by the engine; names, patterns and images here.
 * An unknown selector key is refused rather than ignored, so a typo never widens a selection.
 */
export async function listDockerTargets(ctx: EngineCallContext, selector: DockerSelector): Promise<Target[]> {
  checkSelectorKeys(selector);
  const labels: string[] = Object.entries(selector.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  if (selector.composeProject !== undefined) labels.push(`${COMPOSE_PROJECT_LABEL}=${selector.composeProject}`);
  if (selector.composeService !== undefined) labels.push(`${COMPOSE_SERVICE_LABEL}=${selector.composeService}`);
  const listed = await engineCall(ctx, 'list containers', (abortSignal) =>
    ctx.connection.docker.listContainers({ all: selector.includeStopped === true, ...(labels.length ? { filters: { label: labels } } : {}), abortSignal }),
  );
  return listed.map(toTarget).filter((t) => matchesDockerSelector(t, selector));
}

/** The generic match plus the Compose keys. */
export function matchesDockerSelector(target: Target, selector: DockerSelector): boolean {
  if (!matchesSelector(target, selector)) return false;
  if (selector.composeProject !== undefined && target.labels[COMPOSE_PROJECT_LABEL] !== selector.composeProject) return false;
  if (selector.composeService !== undefined && target.labels[COMPOSE_SERVICE_LABEL] !== selector.composeService) return false;
  return true;
}

export function toTarget(c: Docker.ContainerInfo): Target {
  const labels = c.Labels ?? {};
  const meta: JsonObject = {
    image: c.Image,
    imageId: c.ImageID,
    state: c.State,
    status: c.Status,
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
  };
  if (labels[COMPOSE_PROJECT_LABEL] !== undefined) meta.composeProject = labels[COMPOSE_PROJECT_LABEL];
  if (labels[COMPOSE_SERVICE_LABEL] !== undefined) meta.composeService = labels[COMPOSE_SERVICE_LABEL];
  return { driver: 'docker', id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), labels: { ...labels }, meta };
}

function checkSelectorKeys(selector: DockerSelector): void {
  const known: readonly string[] = [...GENERIC_SELECTOR_KEYS, ...DOCKER_SELECTOR_KEYS];
  const unknown = Object.keys(selector).filter((k) => selector[k] !== undefined && !known.includes(k));
  if (unknown.length) {
    throw new FirebreakError('FIREBREAK_E_INVALID', `docker selector: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  if (selector.namespaces !== undefined) {
    throw new FirebreakError('FIREBREAK_E_INVALID', 'docker selector: containers have no namespaces; use labels or composeProject');
  }
}
