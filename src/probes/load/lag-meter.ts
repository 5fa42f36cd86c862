import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

/**
 * The generator's own lag: how late the event loop ran timers (perf_hooks' delay histogram, whose
 * samples include the sampling period, so the period is taken off) and how late each send left
 * against its schedule. A lagging generator under-sends and adds its lag to the latencies it reports.
 */
export class LagMeter {
  private eld: IntervalHistogram | undefined;
  private worstSendMs = 0;

  start(): void {
    this.eld ??= monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.eld.enable();
  }

  noteSend(lateMs: number): void {
    if (lateMs > this.worstSendMs) this.worstSendMs = lateMs;
  }

  /** Worst lag (ms) since the previous call, then starts over. */
  take(): number {
    let loop = 0;
    if (this.eld && this.eld.count > 0) {
      loop = Math.max(0, this.eld.max / 1e6 - RESOLUTION_MS);
      this.eld.reset();
    }
    const worst = Math.max(loop, this.worstSendMs);
    this.worstSendMs = 0;
    return Math.round(worst * 1000) / 1000;
  }

  stop(): void {
    this.eld?.disable();
  }
}
