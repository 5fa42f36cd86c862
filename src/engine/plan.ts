import { FirebreakError } from '../errors.js';
import { explainError } from '../util/cause.js';
import { collectIssues } from '../experiment/issues.js';
import { selectTargets } from '../cohort/select.js';
import { withTimeout } from '../util/abort.js';
import type { JsonObject } from '../faults/types.js';
import type { DriverHandle, Instance, RunContext } from './context.js';
import type { PlanSummary } from './journal.js';

/** Every driver the experiment needs: its faults, probes, rollbacks, target cohort and `target` entries. */
export function driversNeeded(ctx: Pick<RunContext, 'experiment'>): string[] {
  const e = ctx.experiment;
  const names = new Set<string>(Object.keys(e.target));
  for (const f of e.faults) names.add(f.driver);
  for (const p of e.hypothesis.probes) names.add(p.driver);
  for (const r of e.rollbacks) names.add(r.driver);
  if (e.cohort.targets) names.add(e.cohort.targets.driver);
  return [...names].sort();
}

/** Refuses to start while the ledger holds faults some earlier run never reverted. */
export function checkLedgerClean(ctx: RunContext): void {
  const bad = ctx.ledger.unreported;
  if (bad.length) {
    throw new FirebreakError(
      'FIREBREAK_E_LEDGER_CORRUPT',
      `${ctx.ledger.path}:${bad[0]!.line}: cannot parse ledger line${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}; it may have held a fault: run \`firebreak recover\`, which reverts every entry it can read and records that it saw this line`,
    );
  }
  const open = ctx.ledger.openFaults();
  if (open.length) {
    throw new FirebreakError(
      'FIREBREAK_E_LEDGER_DIRTY',
      `the ledger ${ctx.ledger.path} holds ${open.length} fault(s) not reverted (${open.map((o) => `${o.fault} ${o.id}`).join(', ')}); run \`firebreak recover\` first`,
    );
  }
}

/** Connects every needed driver; an unreachable one stops the run before anything is touched. */
export async function connectDrivers(ctx: RunContext, purpose: 'run' | 'dry-run' = 'run'): Promise<void> {
  for (const name of driversNeeded(ctx)) {
    const driver = ctx.registry.driver(name);
    if (!driver) throw new FirebreakError('FIREBREAK_E_UNKNOWN_TYPE', `unknown driver "${name}"`);
    const issues = collectIssues();
    const given = ctx.experiment.target[name] ?? (driver.parseConfig(undefined, issues.at(`target.${name}`)) as JsonObject | undefined);
    if (!given) throw new FirebreakError('FIREBREAK_E_INVALID', `driver "${name}" needs settings in target.${name}: ${issues.issues.map((i) => i.message).join('; ')}`);
    const config: JsonObject = given;
    const timeoutMs = ctx.experiment.phases.callTimeout;
    let attempt: Promise<unknown> | undefined;
    const connection = await withTimeout(
      `connecting to ${name}`,
      timeoutMs,
      (signal) => (attempt = driver.connect(config, { signal, logger: ctx.logger.child({ driver: name }), timeoutMs, purpose })),
      ctx.interruption.soft.signal,
    ).catch((err: unknown) => {
      // A connect that finishes after its deadline must not leave a server or an agent open.
      attempt?.then((late) => driver.disconnect?.(late)).catch(() => undefined);
      if (err instanceof FirebreakError) throw err;
      throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `driver "${name}" could not connect: ${explainError(err)}`, { cause: err });
    });
    const handle: DriverHandle = { driver, config, connection };
    ctx.drivers.set(name, handle);
  }
}

/** Resolves the target cohort and expands faults into instances (one per target for target faults). */
export async function resolvePlan(ctx: RunContext): Promise<PlanSummary> {
  const e = ctx.experiment;
  const tc = e.cohort.targets;
  if (tc) {
    const handle = ctx.drivers.get(tc.driver)!;
    const timeoutMs = e.phases.callTimeout;
    const candidates = await withTimeout(
      `listing ${tc.driver} targets`,
      timeoutMs,
      (signal) => handle.driver.listTargets!(handle.connection, { ...tc.selector, ...(tc.includeStopped ? { includeStopped: true } : {}) }, { signal, logger: ctx.logger, timeoutMs }),
      ctx.interruption.soft.signal,
    );
    const seed = ctx.options.seed ?? tc.seed;
    const matches = handle.driver.matchesTarget?.bind(handle.driver);
    const chosen = selectTargets(candidates, { mode: tc.mode, ...(tc.value !== undefined ? { value: tc.value } : {}), seed, ...(tc.protect ? { protect: tc.protect } : {}), ...(tc.maxBlastRadius ? { maxBlastRadius: tc.maxBlastRadius } : {}), ...(matches ? { matches } : {}) }, tc.selector);
    if (handle.driver.checkSelection) {
      const faults = e.faults.filter((f) => f.driver === tc.driver && f.scope === 'target').map((f) => ({ type: f.type, attrs: f.attrs }));
      await withTimeout(`checking the ${tc.driver} selection`, timeoutMs, (signal) => handle.driver.checkSelection!(handle.connection, chosen, faults, { signal, logger: ctx.logger, timeoutMs }), ctx.interruption.soft.signal);
    }
    ctx.targets = { driver: tc.driver, ...chosen };
  }
  ctx.instances = [];
  e.faults.forEach((spec, fi) => {
    const fault = ctx.registry.fault(spec.type)!;
    const targets = spec.scope === 'target' ? (ctx.targets?.canary ?? []) : [undefined];
    targets.forEach((target, ti) => {
      const instance: Instance = {
        id: `${ctx.runId}-${fi}-${ti}`,
        spec,
        ...(target ? { target } : {}),
        description: fault.describe(spec.attrs, target),
        applied: false,
        reverted: false,
        attempted: false,
      };
      ctx.instances.push(instance);
    });
  });
  refuseOverlaps(ctx.instances);
  const notes = await checkDriverPlans(ctx);
  return { ...summarizePlan(ctx), ...(notes.length ? { notes } : {}) };
}

/** Each driver checks what the experiment assumes of the live system (see Driver.checkPlan). */
async function checkDriverPlans(ctx: RunContext): Promise<string[]> {
  const notes: string[] = [];
  for (const [name, h] of ctx.drivers) {
    if (!h.driver.checkPlan) continue;
    const timeoutMs = ctx.experiment.phases.callTimeout;
    const lines = await withTimeout(`checking the plan with ${name}`, timeoutMs, (signal) => h.driver.checkPlan!(h.connection, h.config, ctx.experiment, { signal, logger: ctx.logger, timeoutMs }), ctx.interruption.soft.signal);
    notes.push(...lines);
  }
  return notes;
}

/**
 * Two faults of the same type on the same target at the same time would undo each other wrongly (the
 * second would record the first's harm as the state to restore), so such a plan is refused.
 */
function refuseOverlaps(instances: Instance[]): void {
  const end = (i: Instance): number => (i.spec.duration === undefined ? Infinity : i.spec.start + i.spec.duration);
  for (let a = 0; a < instances.length; a++) {
    for (let b = a + 1; b < instances.length; b++) {
      const x = instances[a]!;
      const y = instances[b]!;
      if (!x.target || !y.target || x.spec.type !== y.spec.type || x.target.id !== y.target.id) continue;
      if (x.spec.start < end(y) && y.spec.start < end(x)) {
        throw new FirebreakError('FIREBREAK_E_PLAN', `faults "${x.spec.name}" and "${y.spec.name}" (${x.spec.type}) overlap in time on ${x.target?.name ?? 'the same target'}; give them separate start/duration windows`);
      }
    }
  }
}

export function summarizePlan(ctx: RunContext): PlanSummary {
  const e = ctx.experiment;
  return {
    runId: ctx.runId,
    drivers: [...ctx.drivers.keys()],
    ...(ctx.targets ? { targets: ctx.targets } : {}),
    faults: ctx.instances.map((i) => ({
      id: i.id,
      fault: i.spec.type,
      description: i.description,
      ...(i.target ? { target: i.target.name } : {}),
      startMs: i.spec.start,
      ...(i.spec.duration !== undefined ? { durationMs: i.spec.duration } : {}),
    })),
    probes: e.hypothesis.probes.map((p) => ({ name: p.name, type: p.type, kind: p.kind })),
    phases: { before: e.phases.before, during: e.phases.during, after: e.phases.after, tick: e.phases.tick },
    aborts: e.abort.map((a) => a.text),
  };
}

export async function disconnectDrivers(ctx: RunContext): Promise<void> {
  for (const [name, h] of ctx.drivers) {
    try {
      await withTimeout(`disconnecting ${name}`, ctx.experiment.phases.callTimeout, async () => h.driver.disconnect?.(h.connection));
    } catch (err) {
      ctx.logger.warn({ driver: name, err }, 'disconnect failed');
    }
  }
}
