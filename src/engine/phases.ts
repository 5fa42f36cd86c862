import { describeError, FirebreakError } from '../errors.js';
import type { PhaseName } from '../experiment/model.js';
import { countComparisons, evaluatePhase, type EvaluateInput } from '../analysis/evaluate.js';
import type { Instance, RunContext } from './context.js';
import { applyInstance, revertAll, revertChains } from './inject.js';
import { chainsOf, inPool } from './parallel.js';
import type { Evidence, PhaseRecord } from './journal.js';
import { runValueProbe, type SignalHub } from './measure.js';
import { StopConditions } from './stop.js';
import { markReachEnd, markReachStart } from './reach.js';
import { finishWindow, runWindow } from './window.js';

const MEASURED: PhaseName[] = ['before', 'during', 'after'];

function comparisons(ctx: RunContext): number {
  return Math.max(1, countComparisons(ctx.experiment.hypothesis.tolerances, MEASURED));
}

/** Signals probes measure in every phase; a value probe only in the phases it lists. */
function measuredIn(ctx: RunContext): (probe: string, phase: PhaseName) => boolean {
  return (probe, phase) => {
    const spec = ctx.experiment.hypothesis.probes.find((p) => p.name === probe);
    return !spec || spec.kind === 'signals' || spec.phases.includes(phase);
  };
}

/** Decides a measured phase's tolerances with what the hub knows: the probes' cohorts and failed collections. */
function judge(ctx: RunContext, hub: SignalHub, phase: PhaseName, record: PhaseRecord, before?: PhaseRecord): Evidence[] {
  const input: EvaluateInput = {
    phase, record, comparisons: comparisons(ctx), measuredIn: measuredIn(ctx),
    cohortsOf: (probe) => hub.cohortsOf(probe), failures: hub.failuresIn(phase),
    ...(before ? { before } : {}),
  };
  recordCollectFailures(ctx, hub, phase);
  return evaluatePhase(ctx.experiment.hypothesis.tolerances, input);
}

/** Failed collections go into the journal's errors, one line per probe and phase. */
function recordCollectFailures(ctx: RunContext, hub: SignalHub, phase: PhaseName): void {
  for (const [probe, f] of hub.failuresIn(phase)) {
    const missing = Object.entries(f.missing).filter(([, n]) => (n ?? 0) > 0);
    if (f.failed === 0 && missing.length === 0) continue;
    const parts = [
      ...(f.failed ? [`${f.failed} of ${f.looks} collections failed${f.lastError ? ` (last: ${f.lastError})` : ''}`] : []),
      ...missing.map(([c, n]) => `${n} of ${f.looks} collections came back without the ${c} cohort`),
    ];
    ctx.journal.errors.push({ phase, code: 'FIREBREAK_E_PROBE', message: `probe ${probe}: ${parts.join('; ')}` });
  }
}

/** Whether any fault is applied and not yet reverted: stop conditions watch only then. */
function faultLive(ctx: RunContext): boolean {
  return ctx.instances.some((i) => i.applied && !i.reverted);
}

/** Before: measures the steady state. Returns the evidence; any failure means not steady. */
export async function beforePhase(ctx: RunContext, hub: SignalHub): Promise<{ record: PhaseRecord; evidence: Evidence[] }> {
  const signal = ctx.interruption.soft.signal;
  const record = await runWindow(ctx, hub, 'before', ctx.experiment.phases.before, signal);
  await finishWindow(ctx, hub, record, ctx.interruption.hard.signal);
  ctx.journal.phases.push(record);
  return { record, evidence: judge(ctx, hub, 'before', record) };
}

/** Inject: applies every fault that starts with the during phase. A failed apply fails the run. */
export async function injectPhase(ctx: RunContext): Promise<void> {
  await applyAll(ctx, ctx.instances.filter((i) => i.spec.start === 0), performance.now() + ctx.experiment.phases.phaseGrace);
}

/**
 * Applies instances `phases.concurrency` chains at a time (one target's faults, or those without a
 * target, one after another in plan order; see `chainsOf`). The first failure, an interruption or
 * the deadline stops further applies from starting; those in flight finish, and the caller's revert
 * then reverts everything attempted. Throws the first failure.
 */
async function applyAll(ctx: RunContext, instances: readonly Instance[], until: number): Promise<void> {
  let failure: unknown;
  const stopped = (): boolean => failure !== undefined || ctx.interruption.soft.signal.aborted;
  await inPool(
    chainsOf(instances),
    ctx.experiment.phases.concurrency,
    async (chain) => {
      for (const inst of chain) {
        if (stopped()) return;
        if (performance.now() > until) {
          failure ??= new FirebreakError('FIREBREAK_E_TIMEOUT', `the inject phase took longer than phases.phaseGrace (${ctx.experiment.phases.phaseGrace} ms); faults applied so far are reverted`);
          return;
        }
        try {
          await applyInstance(ctx, inst);
          await markReachStart(ctx, inst);
        } catch (err) {
          failure ??= err;
        }
      }
    },
    stopped,
  );
  if (failure !== undefined) throw failure;
}

/**
 * During: keeps measuring while the faults are live, applies and reverts faults with their own start
 * and duration, and checks the stop conditions every tick. A tripped condition ends the phase at once.
 * Its record is judged by `judgeDuring`, after the revert.
 */
export async function duringPhase(ctx: RunContext, hub: SignalHub, before: PhaseRecord): Promise<{ record: PhaseRecord }> {
  const e = ctx.experiment;
  const stop = new StopConditions(ctx, hub, before);
  const events = new Set<number>();
  for (const inst of ctx.instances) {
    if (inst.spec.start > 0) events.add(inst.spec.start);
    if (inst.spec.duration !== undefined && inst.spec.start + inst.spec.duration < e.phases.during) events.add(inst.spec.start + inst.spec.duration);
  }
  const waitSignal = AbortSignal.any([ctx.interruption.soft.signal, ctx.abort.signal]);
  let applyError: unknown;
  const record = await runWindow(
    ctx,
    hub,
    'during',
    e.phases.during,
    waitSignal,
    {
      events: [...events],
      onEvent: async (elapsed) => {
        const endOf = (inst: Instance): number => (inst.spec.duration === undefined ? Infinity : inst.spec.start + inst.spec.duration);
        // Faults whose window ends go first (in parallel, as the revert phase does), then those that start.
        const ending = ctx.order.filter((inst) => inst.applied && !inst.reverted && endOf(inst) <= elapsed + 1);
        await inPool(ending, ctx.experiment.phases.concurrency, (inst) => markReachEnd(ctx, inst));
        await revertChains(ctx, ending);
        const starting = ctx.instances.filter((inst) => !inst.attempted && inst.spec.start > 0 && inst.spec.start <= elapsed + 1 && endOf(inst) > elapsed);
        try {
          await applyAll(ctx, starting, performance.now() + ctx.experiment.phases.phaseGrace);
        } catch (err) {
          applyError = err;
          ctx.abort.abort(err);
        }
      },
      onTick: async () => {
        if (!faultLive(ctx)) return;
        const tripped = stop.check();
        if (tripped && !ctx.abort.signal.aborted) {
          ctx.journal.aborted = { condition: tripped.check, at: new Date().toISOString(), evidence: tripped };
          ctx.events.emitEvent('abort-tripped', { condition: tripped.check, evidence: tripped });
          ctx.abort.abort(new FirebreakError('FIREBREAK_E_INTERNAL', `stop condition tripped: ${tripped.check}`));
        }
      },
    },
    // A tripped stop condition reverts at once: the during phase's value probes are not waited for.
    AbortSignal.any([ctx.interruption.soft.signal, ctx.abort.signal]),
  );
  ctx.journal.phases.push(record);
  if (ctx.experiment.abort.length) {
    ctx.journal.stopConditions = stop.report();
    for (const s of ctx.journal.stopConditions) if (s.looks === 0) ctx.journal.warnings.push(`stop condition "${s.check}" ${s.note ?? 'never evaluated'}: it could not have stopped this run`);
  }
  if (applyError) throw applyError;
  return { record };
}

/**
 * Judges the during phase once the faults are reverted: the window is drained of the requests it sent
 * (the fault's own slow ones included, wherever they end), then its tolerances are decided.
 */
export async function judgeDuring(ctx: RunContext, hub: SignalHub, record: PhaseRecord, before: PhaseRecord): Promise<Evidence[]> {
  await finishWindow(ctx, hub, record, ctx.interruption.hard.signal);
  return judge(ctx, hub, 'during', record, before);
}

/** Revert: every fault, in reverse order, verified where possible. Never cancelled. */
export async function revertPhase(ctx: RunContext): Promise<string[]> {
  ctx.events.emitEvent('phase-started', { phase: 'revert', durationMs: 0, at: Date.now() });
  ctx.revertDone = true;
  await inPool(ctx.order, ctx.experiment.phases.concurrency, (inst) => markReachEnd(ctx, inst));
  const failed = await revertAll(ctx);
  for (const spec of ctx.planned ? ctx.experiment.rollbacks : []) {
    const result = await runValueProbe(ctx, spec, new AbortController().signal);
    ctx.journal.rollbacks.push({ name: spec.name, result });
    if (result.status === 'error') ctx.journal.errors.push({ phase: 'revert', message: `rollback ${spec.name} failed: ${result.error?.message}` });
  }
  ctx.events.emitEvent('phase-ended', { phase: 'revert', at: Date.now() });
  return failed;
}

/** After: measures recovery with the faults gone. Only a second interruption cuts it short. */
export async function afterPhase(ctx: RunContext, hub: SignalHub, before: PhaseRecord): Promise<{ record: PhaseRecord; evidence: Evidence[] }> {
  const signal = ctx.interruption.hard.signal;
  const record = await runWindow(ctx, hub, 'after', ctx.experiment.phases.after, signal);
  await finishWindow(ctx, hub, record, signal);
  ctx.journal.phases.push(record);
  return { record, evidence: judge(ctx, hub, 'after', record, before) };
}

export function recordError(ctx: RunContext, phase: string, err: unknown): void {
  const e = describeError(err);
  ctx.journal.errors.push({ phase, message: e.message, ...(e.code ? { code: e.code } : {}) });
  ctx.logger.error({ phase, err: e }, 'phase failed');
}
