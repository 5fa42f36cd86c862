export { loadProbe } from './probe.js';
export { LoadGenerator, type LoadTotals } from './generator.js';
export { ThreadedLoadGenerator } from './threaded.js';
export { parseLoadAttrs, LOAD_DEFAULTS, type LoadAttrs, type LoadRequestSpec, type LoadUsers, type LoadCohort } from './attrs.js';
export { parseErrorStatus, isErrorStatus, DEFAULT_ERROR_STATUS, type StatusRanges } from './error-status.js';
export { RequestPlan, activeCohorts, loopbackAddressOf, type PlannedRequest } from './request-plan.js';
