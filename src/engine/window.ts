import { sleep, isAbortError } from '../util/abort.js';
import { FirebreakError } from '../errors.js';
import type { PhaseName } from '../experiment/model.js';
import type { RunContext } from './context.js';
import type { PhaseRecord } from './journal.js';
import { runValueProbes, type SignalHub } from './measure.js';

export interface WindowHooks {
  /** Called after every tick's collection; may abort the window through its own controller. */
  onTick?(elapsedMs: number): Promise<void>;
  /** Times (ms from window start) at which `onEvent` must run between ticks (fault starts and ends). */
  events?: number[];
  onEvent?(elapsedMs: number): Promise<void>;
}

/**
 * Measures one phase: collects every tick until the phase's length passes or `signal` aborts, ends the
 * window (new requests count nowhere from here), runs the value probes of the phase (cancelled only by
 * `probeSignal`), and returns its record. Its signals are filled in by `finishWindow`, once the window
 * has been drained of the requests it sent. Waits are cancellable; the last partial tick is collected
 * too, so nothing measured is lost.
 */
export async function runWindow(
  ctx: RunContext,
  hub: SignalHub,
  phase: PhaseName,
  durationMs: number,
  signal: AbortSignal,
  hooks: WindowHooks = {},
  probeSignal: AbortSignal = signal,
): Promise<PhaseRecord> {
  // Every phase is bounded: its length plus a grace for probes and collections that run late.
  const limitMs = durationMs + ctx.experiment.phases.phaseGrace;
  const deadline = AbortSignal.timeout(limitMs);
  signal = AbortSignal.any([signal, deadline]);
  probeSignal = AbortSignal.any([probeSignal, deadline]);
  const startedAt = new Date();
  const t0 = performance.now();
  const start = Date.now();
  ctx.events.emitEvent('phase-started', { phase, durationMs, at: start });
  await hub.beginWindow(); // what came before the phase belongs to no window
  const tick = ctx.experiment.phases.tick;
  const pending = [...(hooks.events ?? [])].sort((a, b) => a - b);
  let nextTick = tick;
  while (!signal.aborted) {
    const elapsed = performance.now() - t0;
    if (elapsed >= durationMs) break;
    const nextEvent = pending[0] ?? Infinity;
    const wakeAt = Math.min(nextTick, nextEvent, durationMs);
    try {
      await sleep(wakeAt - elapsed, signal);
    } catch (err) {
      if (isAbortError(err) || signal.aborted) break;
      throw err;
    }
    const now = performance.now() - t0;
    while (pending.length && pending[0]! <= now + 1) {
      pending.shift();
      await hooks.onEvent?.(now);
    }
    if (now + 1 >= nextTick || now >= durationMs) {
      const live = await hub.collect(phase);
      ctx.events.emitEvent('tick', { phase, elapsedMs: now, durationMs, signals: live });
      await hooks.onTick?.(now);
      nextTick += tick;
    }
  }
  hub.endWindow();
  await hub.collect(phase);
  const end = Date.now();
  const probes = probeSignal.aborted ? {} : await runValueProbes(ctx, phase, probeSignal);
  const record: PhaseRecord = {
    phase,
    startedAt: startedAt.toISOString(),
    endedAt: new Date(end).toISOString(),
    probes,
    signals: {},
  };
  ctx.events.emitEvent('phase-ended', { phase, at: end });
  if (deadline.aborted) {
    record.signals = hub.summarize(phase, start, end);
    ctx.journal.phases.push(record);
    throw new FirebreakError('FIREBREAK_E_TIMEOUT', `the ${phase} phase took longer than its ${limitMs} ms limit (length plus phases.phaseGrace)`);
  }
  return record;
}

/**
 * Completes a phase's record: waits (at most the probes' request timeout) for the requests the window
 * sent to end, so each is judged in the phase that sent it, then summarizes its signals. For the
 * during phase this runs after the revert: draining never keeps a fault in place.
 */
export async function finishWindow(ctx: RunContext, hub: SignalHub, record: PhaseRecord, signal: AbortSignal): Promise<void> {
  await hub.drain(record.phase, signal);
  record.signals = hub.summarize(record.phase, Date.parse(record.startedAt), Date.parse(record.endedAt!));
}
