// The public library API of firebreak.
export { defineExperiment, loadExperimentFile, expandPaths, buildExperimentObject } from './experiment/loader.js';
export type { Experiment, FaultSpec, ProbeSpec, ToleranceSpec, AbortSpec } from './experiment/model.js';
export { runExperiment, newRunId, type RunOptions, type RunResult } from './engine/run.js';
export { recoverLedger, type RecoverResult } from './engine/recover.js';
export { Ledger, defaultLedgerPath, type LedgerEntry, type OpenFault } from './engine/ledger.js';
export { RunEvents, type RunEventMap } from './engine/events.js';
export { createInterruption, type Interruption } from './engine/context.js';
export { writeJournal, JOURNAL_SCHEMA, type Journal, type Evidence, type Status } from './engine/journal.js';
export { defaultRegistry, registerDriver, BUILTIN_DRIVERS } from './drivers/builtin.js';
export { Registry } from './drivers/registry.js';
export type { Driver, TargetSelector, DriverCallContext } from './drivers/types.js';
export type { FaultType, FaultContext, Target, JsonObject, VerifyResult } from './faults/types.js';
export type { ProbeType, ValueProbeType, SignalProbeType, ProbeContext, ProbeResult } from './probes/types.js';
export type { SignalSource, CohortInterval, WindowSignals, CohortName } from './signals/types.js';
export { startProxyServer, type ProxyServer } from './proxy/index.js';
export { cohortOf, bucketOf } from './cohort/sticky.js';
export { ERRORS, EXIT, FirebreakError, type ErrorCode } from './errors.js';
export { createLogger } from './log.js';
