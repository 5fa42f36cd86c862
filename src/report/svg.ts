import type { Journal } from '../engine/journal.js';
import type { IntervalPoint } from '../signals/types.js';
import { esc } from './escape.js';

/** A golden signal as a chart draws it: one value per interval. */
export interface ChartSignal {
  key: 'latency' | 'traffic' | 'errors' | 'saturation';
  title: string;
  unit: string;
  value(p: IntervalPoint, seconds: number): number | undefined;
}

export const CHART_SIGNALS: readonly ChartSignal[] = [
  { key: 'latency', title: 'Latency p99 per interval', unit: 'ms', value: (p) => (p.requests > p.errors ? p.p99 : undefined) },
  { key: 'traffic', title: 'Traffic', unit: 'req/s', value: (p, s) => (s > 0 ? p.requests / s : undefined) },
  { key: 'errors', title: 'Error rate', unit: '%', value: (p) => (p.requests > 0 ? (100 * p.errors) / p.requests : undefined) },
  { key: 'saturation', title: 'Saturation', unit: '%', value: (p) => (p.saturation !== undefined ? 100 * p.saturation : undefined) },
];

const COLORS: Record<string, string> = { canary: '#d4351c', control: '#1d70b8', untouched: '#8a8a8a', all: '#00703c' };
const PHASE_FILL: Record<string, string> = { before: '#f3f2f1', during: '#fde8e5', after: '#e8f1f8' };
const W = 640;
const H = 170;
const M = { left: 52, right: 12, top: 18, bottom: 26 };

interface Series {
  cohort: string;
  points: { t: number; v: number }[];
}

/**
 * One golden signal of one probe over the whole run, as an SVG chart: a line per cohort, the before,
 * during and after phases shaded, fault applies and reverts and a tripped stop condition marked.
 * Values are plain numbers drawn as text and paths: no script, nothing fetched. Returns undefined when
 * the probe never measured the signal.
 */
export function chartOf(j: Journal, probe: string, signal: ChartSignal): string | undefined {
  const t0 = Date.parse(j.startedAt);
  const tickS = (j.plan?.phases.tick ?? 1000) / 1000;
  const series = new Map<string, Series>();
  for (const phase of j.phases) {
    const cohorts = phase.signals[probe] ?? {};
    const split = Object.keys(cohorts).some((c) => c !== 'all');
    for (const [cohort, w] of Object.entries(cohorts)) {
      if (!w || (split && cohort === 'all') || cohort === 'untouched') continue;
      const s = series.get(cohort) ?? { cohort, points: [] };
      let prev: number | undefined;
      for (const p of w.intervals) {
        const seconds = prev === undefined ? tickS : Math.max(0.001, (p.at - prev) / 1000);
        prev = p.at;
        const v = signal.value(p, seconds);
        if (v !== undefined && Number.isFinite(v)) s.points.push({ t: (p.at - t0) / 1000, v });
      }
      series.set(cohort, s);
    }
  }
  const all = [...series.values()].filter((s) => s.points.length > 0);
  if (all.length === 0) return undefined;
  // A probe that counts no requests (saturation only) has no traffic or error chart.
  if ((signal.key === 'traffic' || signal.key === 'errors') && j.phases.every((p) => Object.values(p.signals[probe] ?? {}).every((w) => !w || w.traffic.count === 0))) return undefined;
  const tEnd = Math.max((Date.parse(j.endedAt ?? j.startedAt) - t0) / 1000, ...all.flatMap((s) => s.points.map((p) => p.t)), 1);
  const vMax = niceMax(Math.max(...all.flatMap((s) => s.points.map((p) => p.v)), signal.key === 'errors' ? 1 : 0.001));
  const x = (t: number) => M.left + (t / tEnd) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / vMax) * (H - M.top - M.bottom);
  const parts: string[] = [];
  for (const phase of j.phases) {
    const a = (Date.parse(phase.startedAt) - t0) / 1000;
    const b = (Date.parse(phase.endedAt ?? phase.startedAt) - t0) / 1000;
    parts.push(`<rect x="${f(x(a))}" y="${M.top}" width="${f(Math.max(1, x(b) - x(a)))}" height="${H - M.top - M.bottom}" fill="${PHASE_FILL[phase.phase] ?? '#fff'}"><title>${esc(phase.phase)}</title></rect>`);
    parts.push(`<text x="${f(x(a) + 3)}" y="${M.top + 11}" class="phase">${esc(phase.phase)}</text>`);
  }
  for (const tick of [0, 0.5, 1]) {
    const v = vMax * tick;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(y(v))}" y2="${f(y(v))}" class="grid"/><text x="${M.left - 4}" y="${f(y(v) + 4)}" class="axis" text-anchor="end">${esc(label(v))}</text>`);
  }
  parts.push(`<text x="${W - M.right}" y="${H - 6}" class="axis" text-anchor="end">${esc(`${Math.round(tEnd)} s`)}</text><text x="${M.left}" y="${H - 6}" class="axis">0 s</text>`);
  for (const f0 of j.faults) {
    if (f0.appliedAt) parts.push(marker(x((Date.parse(f0.appliedAt) - t0) / 1000), '#d4351c', `applied: ${f0.description}`));
    if (f0.revertedAt) parts.push(marker(x((Date.parse(f0.revertedAt) - t0) / 1000), '#00703c', `reverted: ${f0.description}`));
  }
  if (j.aborted) parts.push(marker(x((Date.parse(j.aborted.at) - t0) / 1000), '#000', `stop condition tripped: ${j.aborted.condition}`, '4 2'));
  for (const s of all) {
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${f(x(p.t))},${f(y(p.v))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS[s.cohort] ?? '#505a5f'}" stroke-width="1.6"><title>${esc(s.cohort)}</title></path>`);
  }
  const legend = all.map((s, i) => `<rect x="${W - M.right - 90 * (all.length - i)}" y="4" width="10" height="10" fill="${COLORS[s.cohort] ?? '#505a5f'}"/><text x="${W - M.right - 90 * (all.length - i) + 14}" y="13" class="axis">${esc(s.cohort)}</text>`).join('');
  return [
    `<svg class="chart" data-probe="${esc(probe)}" data-signal="${signal.key}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${signal.title} of ${probe} (${signal.unit})`)}" xmlns="http://www.w3.org/2000/svg">`,
    `<text x="${M.left}" y="13" class="title">${esc(`${probe}: ${signal.title} (${signal.unit})`)}</text>`,
    legend,
    ...parts,
    '</svg>',
  ].join('');
}

/** A tiny line of values (a suite's score over its runs), 0..1. */
export function sparkline(values: readonly number[], opts: { width?: number; height?: number } = {}): string {
  const w = opts.width ?? 160;
  const h = opts.height ?? 28;
  if (values.length === 0) return '';
  const x = (i: number) => (values.length === 1 ? w / 2 : (i / (values.length - 1)) * (w - 4) + 2);
  const y = (v: number) => h - 2 - Math.max(0, Math.min(1, v)) * (h - 4);
  const d = values.map((v, i) => `${i ? 'L' : 'M'}${f(x(i))},${f(y(v))}`).join(' ');
  return `<svg class="sparkline" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><path d="${d}" fill="none" stroke="#1d70b8" stroke-width="1.5"/>${values.map((v, i) => `<circle cx="${f(x(i))}" cy="${f(y(v))}" r="2" fill="#1d70b8"><title>${esc(v.toFixed(2))}</title></circle>`).join('')}</svg>`;
}

function marker(px: number, color: string, title: string, dash = ''): string {
  return `<line x1="${f(px)}" x2="${f(px)}" y1="${M.top}" y2="${H - M.bottom}" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${esc(title)}</title></line>`;
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function label(v: number): string {
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

function f(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}
