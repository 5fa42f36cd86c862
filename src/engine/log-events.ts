import type { Logger } from 'pino';
import type { RunEventMap, RunEvents } from './events.js';

type Handlers = { [K in keyof RunEventMap]?: (p: RunEventMap[K]) => void };

/**
 * The run's steps in its log, as a listener like any reporter: one info line per step (the plan, each
 * phase, each apply and revert, the verdict), the details (plan contents, probe results) at debug,
 * each tick's signals at trace.
 */
export function logRunEvents(events: RunEvents, logger: Logger): () => void {
  const handlers: Handlers = {
    'run-started': (p) => {
      const t = p.plan.targets;
      logger.info({ faults: p.plan.faults.length, probes: p.plan.probes.length, ...(t ? { targets: t.canary.map((x) => x.name), considered: t.considered } : {}) }, `plan: ${p.title}: ${p.plan.faults.length} fault(s)`);
      for (const f of p.plan.faults) logger.debug({ instance: f.id, fault: f.fault, target: f.target, startMs: f.startMs, durationMs: f.durationMs }, `planned ${f.description}`);
      for (const n of p.plan.notes ?? []) logger.debug(`plan note: ${n}`);
    },
    'phase-started': (p) => logger.info({ phase: p.phase, durationMs: p.durationMs }, `phase ${p.phase} started`),
    'fault-applied': (p) => logger.info({ instance: p.id, fault: p.fault, target: p.target?.name }, `applied ${p.description}`),
    'fault-apply-failed': (p) => logger.error({ instance: p.id, fault: p.fault, err: p.error }, 'apply failed'),
    'fault-reverted': (p) => logger.info({ instance: p.id, fault: p.fault, target: p.target?.name, verified: p.verified, attempts: p.attempts, ledgerError: p.ledgerError }, `reverted ${p.description}`),
    'fault-revert-failed': (p) => logger.error({ instance: p.id, fault: p.fault, attempts: p.attempts, err: p.error }, 'revert failed; the fault stays in the ledger for `firebreak recover`'),
    'abort-tripped': (p) => logger.warn({ condition: p.condition, observed: p.evidence.observed }, 'stop condition tripped: reverting at once'),
    interrupted: (p) => logger.warn({ signal: p.signal, hard: p.hard }, p.hard ? 'interrupted again: skipping the after phase' : 'interrupted: reverting every fault'),
    tick: (p) => logger.trace({ phase: p.phase, elapsedMs: p.elapsedMs, signals: p.signals }, 'tick'),
    'probe-result': (p) => logger.debug({ phase: p.phase, probe: p.probe, status: p.result.status, value: small(p.result.value), err: p.result.error?.message }, 'probe result'),
    'run-ended': (p) => logger.info({ status: p.status, exitCode: p.exitCode }, `verdict ${p.status}: ${p.journal.verdict.reason}`),
  };
  const entries = Object.entries(handlers) as [string, (p: unknown) => void][];
  for (const [name, h] of entries) events.on(name, h);
  return () => {
    for (const [name, h] of entries) events.off(name, h);
  };
}

/** A probe's value in a log line when it is short; a whole response body is for the journal. */
function small(value: unknown): unknown {
  const text = JSON.stringify(value) ?? '';
  return text.length <= 200 ? value : `${text.slice(0, 197)}...`;
}
