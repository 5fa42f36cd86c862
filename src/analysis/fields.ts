import type { WindowSignals } from '../signals/types.js';

/** Reads `a.b.c` (and `a[0].b`) out of a value; undefined when any step is missing. */
export function readPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export const SIGNAL_FIELDS = [
  'latency.p50', 'latency.p90', 'latency.p95', 'latency.p99', 'latency.p999', 'latency.max', 'latency.mean', 'latency.min', 'latency.count',
  'latencyFailed.p50', 'latencyFailed.p99', 'latencyFailed.count',
  'traffic.rate', 'traffic.count', 'errors.rate', 'errors.count', 'saturation.max', 'saturation.mean',
] as const;

/** A golden-signal field of a window, or undefined when the window lacks it (no saturation source). */
export function signalField(w: WindowSignals | undefined, field: string): number | undefined {
  if (!w) return undefined;
  const v = readPath(w, field);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Shows a number in the unit its field is in. */
export function formatField(field: string, v: unknown): string {
  if (typeof v !== 'number') return JSON.stringify(v);
  if (/^latency/.test(field) && !field.endsWith('count')) return `${round(v)}ms`;
  if (field.endsWith('.rate') && field.startsWith('errors')) return `${round(v * 100)}%`;
  if (field.startsWith('traffic.rate')) return `${round(v)}/s`;
  if (field.startsWith('saturation')) return `${round(v * 100)}%`;
  return String(round(v));
}

export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}
