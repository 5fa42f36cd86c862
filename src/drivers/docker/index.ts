export { dockerDriver } from './driver.js';
export { parseDockerConfig, checkHost, DEFAULT_DOCKER_HOST, type DockerConfig } from './config.js';
export { openDocker, engineCall, isNotFound, statusOf, type DockerConnection, type EngineCallContext } from './client.js';
export {
  listDockerTargets,
  matchesDockerSelector,
  toTarget,
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
} from './targets.js';
export { parseDockerSelector, checkDockerSelector, DOCKER_SELECTOR_KEYS, KNOWN_DOCKER_SELECTOR_KEYS, type DockerSelector } from './selector.js';
export { execInContainer, type ExecOptions, type ExecResult } from './exec.js';
export { dockerKill, type KillAttrs, type KillState } from './faults/kill.js';
export { dockerStop, type StopAttrs, type StopState } from './faults/stop.js';
export { dockerPause, type PauseState } from './faults/pause.js';
export { dockerRestart, type RestartAttrs, type RestartState } from './faults/restart.js';
export { dockerPartition, type PartitionAttrs, type PartitionState } from './faults/partition.js';
export { dockerCpu, type CpuAttrs, type CpuState } from './faults/cpu.js';
export { dockerMemory, type MemoryAttrs, type MemoryState } from './faults/memory.js';
export { dockerExec, type ExecAttrs, type ExecState } from './faults/exec.js';
export { UNLIMITED_MEMORY } from './faults/resources.js';
export { dockerContainerStateProbe, type StateProbeAttrs, type StateProbeValue, type ContainerState } from './probes/state.js';
export { dockerSaturationProbe, DockerSaturationSource, type SaturationAttrs } from './probes/saturation.js';
