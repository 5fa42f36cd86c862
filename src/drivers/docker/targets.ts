import type Docker from 'dockerode';
import type { JsonObject, Target } from '../../faults/types.js';
import { matchesSelector } from '../../cohort/match.js';
import { engineCall, type EngineCallContext } from './client.js';
import { checkDockerSelector, type DockerSelector } from './selector.js';

export { DOCKER_SELECTOR_KEYS, type DockerSelector } from './selector.js';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/**
 * Lists containers as targets: running (and paused) ones by default, all with `includeStopped`.
 * Labels, Compose project and service are filtered by the engine; names, patterns and images here.
 * A selector that breaks the rules of parseDockerSelector (an unknown key, a wrong type) is refused
 * rather than ignored, so a typo never widens a selection: validation reports the same earlier.
 */
export async function listDockerTargets(ctx: EngineCallContext, selector: DockerSelector): Promise<Target[]> {
  checkDockerSelector(selector);
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
