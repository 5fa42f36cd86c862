import { HdrLatencyHistogram } from '../../signals/histogram.js';
import type { CohortInterval, CohortName, IntervalByCohort } from '../../signals/types.js';
import type { LoadAttrs } from './attrs.js';

/** Messages from the main thread to the load generator's thread. */
export type ToWorker = { id: number; op: 'start' | 'collect' | 'beginWindow' | 'endWindow' | 'halt' | 'stop' };

/** LoadAttrs as they cross to the worker (a URL object cannot be cloned). */
export type WireAttrs = Omit<LoadAttrs, 'url'> & { url: string };

export function attrsToWire(a: LoadAttrs): WireAttrs {
  return { ...a, url: a.url.href };
}

export function attrsFromWire(a: WireAttrs): LoadAttrs {
  return { ...a, url: new URL(a.url) };
}

type WireInterval = Omit<CohortInterval, 'latencyOk' | 'latencyFailed'> & { latencyOk: string; latencyFailed: string };

/** Histograms cross as their compressed encoding; every other field as it is. */
export function intervalsToWire(byCohort: IntervalByCohort): Partial<Record<CohortName, WireInterval>> {
  const out: Partial<Record<CohortName, WireInterval>> = {};
  for (const [cohort, i] of Object.entries(byCohort) as [CohortName, CohortInterval][]) {
    out[cohort] = { ...i, latencyOk: (i.latencyOk as HdrLatencyHistogram).encode(), latencyFailed: (i.latencyFailed as HdrLatencyHistogram).encode() };
    i.latencyOk.destroy();
    i.latencyFailed.destroy();
  }
  return out;
}

export function intervalsFromWire(wire: Partial<Record<CohortName, WireInterval>>): IntervalByCohort {
  const out: IntervalByCohort = {};
  for (const [cohort, i] of Object.entries(wire) as [CohortName, WireInterval][]) {
    out[cohort] = { ...i, latencyOk: HdrLatencyHistogram.decode(i.latencyOk), latencyFailed: HdrLatencyHistogram.decode(i.latencyFailed) };
  }
  return out;
}
