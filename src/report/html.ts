import type { Journal } from '../engine/journal.js';
import type { RunEntry, SuiteEntry } from '../history/history.js';
import { esc } from './escape.js';
import type { ReportCase, ReportModel, ReportSuite } from './model.js';
import { CHART_SIGNALS, chartOf, sparkline } from './svg.js';

/** Fetching anything is forbidden: the report is one file, readable offline, with no script at all. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STATUS_COLOR: Record<string, string> = {
  held: '#00703c', deviated: '#d4351c', aborted: '#f47738', 'not-steady': '#912b88', failed: '#6f1d1b', interrupted: '#505a5f', inconclusive: '#b58840', planned: '#1d70b8',
};

/**
 * A self-contained HTML report: one file, nothing fetched, no script (a Content-Security-Policy says
 * so to the browser). Per suite run: the gate and score with its trend, a table of verdicts against
 * expectations; per experiment: its history strip, a chart of every golden signal per cohort over
 * before/during/after with faults and aborts marked, the evidence table and the fault timeline.
 * Every user string is escaped. Prints to PDF cleanly (charts are not split across pages).
 */
export function renderHtml(model: ReportModel): string {
  const body = model.suites.map((s) => renderSuite(s, model)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(model.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(model.title)}</h1><p class="meta">generated ${esc(model.generatedAt)} by firebreak</p></header>
${body}
</body>
</html>
`;
}

function renderSuite(s: ReportSuite, model: ReportModel): string {
  const trend = (model.history.filter((e) => e.kind === 'suite' && e.suite === s.name) as SuiteEntry[]).map((e) => e.score.value).filter((v): v is number => v !== null);
  return `<section class="suite">
<h2>${esc(s.name)} <span class="gate ${s.gate}">${s.gate === 'passed' ? 'gate passed' : 'gate failed'}</span></h2>
<p class="meta">run ${esc(s.runId)} · ${esc(s.startedAt)} to ${esc(s.endedAt)}</p>
${s.score ? `<p class="score">Resilience: <strong>${esc(s.score.text)}</strong>${trend.length > 1 ? ` <span class="trend">score over the last ${trend.length} runs ${sparkline(trend.slice(-30))}</span>` : ''}</p>` : ''}
${s.halted ? `<p class="halted">Stopped early: ${esc(s.halted)}</p>` : ''}
<table class="verdicts"><thead><tr><th>experiment</th><th>verdict</th><th>expected</th><th>gate</th><th>why</th></tr></thead><tbody>
${s.cases.map((c) => `<tr><td>${esc(c.title)}</td><td>${badge(c.status)}</td><td>${esc(c.expect.join(' or '))}</td><td class="gate-${c.gate}">${esc(c.gate)}</td><td>${esc(short(c.reason, 300))}</td></tr>`).join('\n')}
</tbody></table>
${s.cases.map((c) => renderCase(c, model)).join('\n')}
</section>`;
}

function renderCase(c: ReportCase, model: ReportModel): string {
  const j = c.journal;
  const runs = (model.history.filter((e) => e.kind === 'run' && e.source === c.source) as RunEntry[]).slice(-30);
  const strip = runs.length ? `<p class="strip">history: ${runs.map((r) => `<span class="cell" style="background:${STATUS_COLOR[r.status] ?? '#ccc'}" title="${esc(`${r.at}: ${r.status}`)}"></span>`).join('')}</p>` : '';
  if (!j) return `<article class="experiment"><h3>${esc(c.title)}</h3>${strip}<p>${esc(c.reason)}</p></article>`;
  return `<article class="experiment">
<h3>${esc(c.title)} ${badge(j.verdict.status)}</h3>
<p class="meta">${esc(j.experiment.source)} · run ${esc(j.runId)} · ${esc(j.startedAt)}${c.journalPath ? ` · journal ${esc(c.journalPath)}` : ''}</p>
${strip}
<p class="reason">${esc(j.verdict.reason)}</p>
${(j.warnings ?? []).map((w) => `<p class="warning">warning: ${esc(w)}</p>`).join('\n')}
${charts(j)}
${evidence(j)}
${faults(j)}
</article>`;
}

function charts(j: Journal): string {
  const probes = [...new Set(j.phases.flatMap((p) => Object.keys(p.signals)))];
  const out: string[] = [];
  for (const probe of probes) {
    for (const signal of CHART_SIGNALS) {
      const svg = chartOf(j, probe, signal);
      if (svg) out.push(`<figure class="chart">${svg}</figure>`);
    }
  }
  return out.length ? `<div class="charts">${out.join('\n')}</div>` : '';
}

function evidence(j: Journal): string {
  if (j.verdict.evidence.length === 0) return '';
  const rows = j.verdict.evidence.map((e) => {
    const seen = e.observed === null || e.observed === undefined ? 'nothing' : typeof e.observed === 'string' ? e.observed : JSON.stringify(e.observed);
    const stats = [e.test, e.pValue !== undefined ? `p=${e.pValue.toPrecision(3)}` : '', e.interval ? `[${e.interval.map((v) => (Number.isFinite(v) ? v.toPrecision(3) : String(v))).join(', ')}]` : '', e.samples ? Object.entries(e.samples).map(([k, v]) => `${k} ${v}`).join(', ') : '']
      .filter(Boolean)
      .join(' · ');
    return `<tr class="${e.outcome}"><td>${esc(e.outcome)}</td><td>${esc(e.phase ?? '')}${e.cohort ? `/${esc(e.cohort)}` : ''}</td><td>${esc(e.check)}</td><td>${esc(e.expected)}</td><td>${esc(short(seen, 400))}</td><td>${esc(stats)}${e.reason && e.outcome !== 'pass' ? `<br><span class="why">${esc(short(e.reason, 600))}</span>` : ''}</td></tr>`;
  });
  return `<table class="evidence"><thead><tr><th>outcome</th><th>where</th><th>check</th><th>expected</th><th>observed</th><th>test, samples, why</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function faults(j: Journal): string {
  if (j.faults.length === 0) return '';
  const t0 = Date.parse(j.startedAt);
  const at = (s?: string) => (s ? `+${((Date.parse(s) - t0) / 1000).toFixed(1)} s` : '');
  const rows = j.faults.map((f) => `<tr><td>${esc(f.description)}${f.target ? ` on ${esc(f.target.name)}` : ''}</td><td>${esc(at(f.appliedAt))}</td><td>${f.revertedAt ? esc(at(f.revertedAt)) : f.appliedAt ? '<strong class="bad">NOT REVERTED</strong>' : 'not applied'}</td><td>${esc(String(f.revertAttempts))}${f.verified !== undefined ? (f.verified ? ' · verified' : ' · not verified') : ''}</td><td>${f.reach ? esc(Object.entries(f.reach).map(([k, v]) => `${k} ${v}`).join(', ')) : ''}</td></tr>`);
  const abort = j.aborted ? `<p class="abort">stop condition tripped at ${esc(at(j.aborted.at))}: ${esc(j.aborted.condition)}</p>` : '';
  return `<table class="faults"><thead><tr><th>fault</th><th>applied</th><th>reverted</th><th>revert attempts</th><th>requests reached</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>${abort}`;
}

function badge(status: string | undefined): string {
  return `<span class="badge" style="background:${STATUS_COLOR[status ?? ''] ?? '#b1b4b6'}">${esc(status ?? 'not run')}</span>`;
}

function short(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#0b0c0c;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:24px;margin:0}h2{font-size:20px;margin:28px 0 4px}h3{font-size:16px;margin:20px 0 4px}
.meta{color:#505a5f;margin:2px 0}.score{font-size:15px}.halted,.warning{color:#d4351c}.abort{color:#000}
.gate{font-size:13px;padding:2px 8px;border-radius:3px;color:#fff}.gate.passed{background:#00703c}.gate.failed{background:#d4351c}
.badge{color:#fff;padding:1px 6px;border-radius:3px;font-size:12px;white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid #d8dadb;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f2f1}td.gate-fail,td.gate-error,tr.fail td:first-child,tr.error td:first-child{color:#d4351c;font-weight:600}
tr.inconclusive td:first-child{color:#b58840;font-weight:600}.why{color:#505a5f}.bad{color:#d4351c}
.strip .cell{display:inline-block;width:10px;height:10px;margin-right:2px;border-radius:2px}
.charts{display:flex;flex-wrap:wrap;gap:8px}figure.chart{margin:0;break-inside:avoid;page-break-inside:avoid}
svg text{font:10px system-ui,sans-serif;fill:#505a5f}svg text.title{font-weight:600;fill:#0b0c0c}svg .grid{stroke:#d8dadb;stroke-width:1}svg text.phase{fill:#505a5f;font-style:italic}
article.experiment{border-top:2px solid #d8dadb;margin-top:16px;break-inside:avoid-page}
@media print{body{margin:0;max-width:none}section.suite{break-after:page}.charts{gap:4px}}
`;
