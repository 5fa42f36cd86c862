import { describeError, FirebreakError } from '../errors.js';
import type { PhaseName } from '../experiment/model.js';
import { countComparisons, evaluatePhase } from '../analysis/evaluate.js';
import type { RunContext } from './context.js';
import { applyInstance, revertAll, revertInstance } from './inject.js';
import type { Evidence, PhaseRecord } from './journal.js';
import { runValueProbe, type SignalHub } from './measure.js';
import { StopConditions } from './stop.js';
import { runWindow } from './window.js';

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

/** Before: measures the steady state. Returns the evidence; any failure means not steady. */
export async function beforePhase(ctx: RunContext, hub: SignalHub): Promise<{ record: PhaseRecord; evidence: Evidence[] }> {
  const signal = ctx.interruption.soft.signal;
  const record = await runWindow(ctx, hub, 'before', ctx.experiment.phases.before, signal);
  ctx.journal.phases.push(record);
  const evidence = evaluatePhase(ctx.experiment.hypothesis.tolerances, { phase: 'before', record, comparisons: comparisons(ctx), measuredIn: measuredIn(ctx) });
  return { record, evidence };
}

/** Inject: applies every fault that starts with the during phase. A failed apply fails the run. */
export async function injectPhase(ctx: RunContext): Promise<void> {
  const until = performance.now() + ctx.experiment.phases.phaseGrace;
  for (const inst of ctx.instances) {
    if (inst.spec.start > 0) continue;
    if (ctx.interruption.soft.signal.aborted) return;
    if (performance.now() > until) {
      throw new FirebreakError('FIREBREAK_E_TIMEOUT', `the inject phase took longer than phases.phaseGrace (${ctx.experiment.phases.phaseGrace} ms); faults applied so far are reverted`);
    }
    await applyInstance(ctx, inst);
  }
}

/**
 * During: keeps measuring while the faults are live, applies and reverts faults with their own start
 * and duration, and checks the stop conditions every tick. A tripped condition ends the phase at once.
 */
export async function duringPhase(ctx: RunContext, hub: SignalHub, before: PhaseRecord): Promise<{ record: PhaseRecord; evidence: Evidence[] }> {
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
        for (const inst of ctx.instances) {
          const end = inst.spec.duration === undefined ? Infinity : inst.spec.start + inst.spec.duration;
          if (inst.applied && !inst.reverted && end <= elapsed + 1) await revertInstance(ctx, inst);
          else if (!inst.attempted && inst.spec.start > 0 && inst.spec.start <= elapsed + 1 && end > elapsed) {
            try {
              await applyInstance(ctx, inst);
            } catch (err) {
              applyError = err;
              ctx.abort.abort(err);
            }
          }
        }
      },
      onTick: async () => {
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
  if (applyError) throw applyError;
  const evidence = evaluatePhase(ctx.experiment.hypothesis.tolerances, { phase: 'during', record, before, comparisons: comparisons(ctx), measuredIn: measuredIn(ctx) });
  return { record, evidence };
}

/** Revert: every fault, in reverse order, verified where possible. Never cancelled. */
export async function revertPhase(ctx: RunContext): Promise<string[]> {
  ctx.events.emitEvent('phase-started', { phase: 'revert', durationMs: 0, at: Date.now() });
  ctx.revertDone = true;
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
  ctx.journal.phases.push(record);
  const evidence = evaluatePhase(ctx.experiment.hypothesis.tolerances, { phase: 'after', record, before, comparisons: comparisons(ctx), measuredIn: measuredIn(ctx) });
  return { record, evidence };
}

export function recordError(ctx: RunContext, phase: string, err: unknown): void {
  const e = describeError(err);
  ctx.journal.errors.push({ phase, message: e.message, ...(e.code ? { code: e.code } : {}) });
  ctx.logger.error({ phase, err: e }, 'phase failed');
}
