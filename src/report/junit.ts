import type { ReportCase, ReportModel, ReportSuite } from './model.js';
import { evidenceLines } from './model.js';
import { xmlAttr, xmlText } from './xml.js';

/**
 * JUnit XML as GitLab, GitHub test reporters and Jenkins read it: one `testsuite` per suite run, one
 * `testcase` per experiment. A verdict outside its expectation is a `failure`; a run that could not
 * test (not-steady, failed, interrupted, a fault not reverted, an invalid experiment) an `error`;
 * inconclusive is `skipped` unless the suite's gate counts it as a miss (then a failure); an
 * experiment that did not run is `skipped`. The evidence goes in the body. schema/junit.xsd describes
 * exactly what is emitted.
 */
export function renderJunit(model: ReportModel): string {
  const suites = model.suites.map(renderSuite);
  const total = sum(model.suites.map((s) => s.cases.length));
  const count = (g: string) => sum(model.suites.map((s) => s.cases.filter((c) => kindOf(c) === g).length));
  const time = sum(model.suites.map(seconds));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttr(model.title)}" tests="${total}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time.toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function renderSuite(s: ReportSuite): string {
  const count = (k: string) => s.cases.filter((c) => kindOf(c) === k).length;
  const props = [
    ['gate', s.gate],
    ...(s.score ? [['score', s.score.value === null ? 'none' : s.score.value.toFixed(4)], ['score.text', s.score.text]] : []),
    ...(s.halted ? [['halted', s.halted]] : []),
    ['runId', s.runId],
  ];
  return [
    `  <testsuite name="${xmlAttr(s.name)}" tests="${s.cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds(s).toFixed(3)}" timestamp="${xmlAttr(s.startedAt.replace(/\.\d+Z$/, 'Z'))}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${xmlAttr(k!)}" value="${xmlAttr(v!)}"/>`),
    '    </properties>',
    ...s.cases.map((c) => renderCase(s, c)),
    '  </testsuite>',
  ].join('\n');
}

function renderCase(s: ReportSuite, c: ReportCase): string {
  const time = (c.journal?.durationMs ?? 0) / 1000;
  const head = `    <testcase name="${xmlAttr(c.title)}" classname="${xmlAttr(s.name)}" time="${time.toFixed(3)}" file="${xmlAttr(c.source)}">`;
  const body = evidenceLines(c).join('\n');
  const kind = kindOf(c);
  const message = `${c.status ?? 'not run'}: expected ${c.expect.join(' or ')}`;
  const inner =
    kind === 'failure'
      ? `      <failure message="${xmlAttr(message)}" type="${xmlAttr(c.status ?? 'miss')}">${xmlText(body)}</failure>`
      : kind === 'error'
        ? `      <error message="${xmlAttr(message)}" type="${xmlAttr(c.status ?? 'error')}">${xmlText(body)}</error>`
        : kind === 'skipped'
          ? `      <skipped message="${xmlAttr(c.reason.slice(0, 500))}"/>`
          : undefined;
  const out = c.journal ? `      <system-out>${xmlText(`${c.status} (exit ${c.journal.verdict.exitCode}): ${c.journal.verdict.reason}${c.journalPath ? `\njournal: ${c.journalPath}` : ''}`)}</system-out>` : undefined;
  return [head, ...(inner ? [inner] : []), ...(out ? [out] : []), '    </testcase>'].join('\n');
}

/** How a case shows in JUnit: failure (a miss), error (could not test), skipped, or a pass. */
export function kindOf(c: ReportCase): 'pass' | 'failure' | 'error' | 'skipped' {
  return c.gate === 'fail' ? 'failure' : c.gate === 'error' ? 'error' : c.gate === 'skipped' ? 'skipped' : 'pass';
}

function seconds(s: ReportSuite): number {
  return Math.max(0, (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000) || 0;
}

function sum(v: number[]): number {
  return v.reduce((a, b) => a + b, 0);
}
