import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../src/experiment/issues.js';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * The mistakes people make writing YAML by hand: each is reported once, in plain words, at the line
 * where the mistake is (not where the parser gave up), and nothing else is reported with it.
 */
const SYNTAX: [string, string, number, RegExp][] = [
  ['a tab used to indent', 'title: Tabs\nphases:\n\tbefore: 5s\n', 3, /a tab is used to indent this line/],
  ['an unclosed double quote', 'title: "Unclosed\nphases: { during: 5s }\nfaults:\n  - type: process\n', 1, /the double quote opened on this line is never closed/],
  ['an unclosed brace', 'title: flow\nphases: { before: 5s, during: 20s\nfaults: []\n', 2, /the \{ opened here is not closed with \}/],
  ['an unclosed bracket in JSON', '{\n  "title": "x",\n  "faults": [1, 2\n}\n', 3, /the \[ opened here is not closed with \]/],
  ['a key without its colon', 'title: Missing colon\nphases\n  during: 5s\n', 2, /"phases" is not followed by ":"/],
  ['a field without its colon', 'title: t\nfaults:\n  - type: process\n    apply: "true"\n    timeout 5s\n', 5, /"timeout 5s" has no ":" after its name/],
  ['a key given twice', 'title: one\ntitle: two\n', 2, /"title" is given twice in the same mapping \(first on line 1\)/],
  ['a line indented out of step', 'title: t\nhypothesis:\n  probes:\n    - name: web\n      type: http\n     url: http://127.0.0.1:1/\n', 6, /indented 5 spaces, which lines up with nothing above it/],
  ['a list item indented back', 'title: t\nfaults:\n  - type: process\n    apply: "true"\n  revert: "true"\n', 5, /indented 2 spaces, unlike the fields beside it/],
  ['a value with ": " in it', 'title: t\ndescription: run: now\n', 2, /contains ": ", which YAML reads as another field: put the value in quotes/],
];

describe('mistakes in experiment files: plain words, the right line, no cascade', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  for (const [what, text, line, message] of SYNTAX) {
    it(`${what}: one problem, on line ${line}`, () => {
      const file = join(tmp.dir, what.includes('JSON') ? 'e.json' : 'e.yaml');
      writeFileSync(file, text);
      const issues = loadExperimentFile(file).issues;
      assert.equal(issues.length, 1, issues.map(formatIssue).join('\n'));
      assert.equal(issues[0]!.line, line, formatIssue(issues[0]!));
      assert.match(formatIssue(issues[0]!), message);
      assert.match(formatIssue(issues[0]!), /^\S+:\d+:\d+: syntax error: /);
    });
  }

  it('a misspelt probe type is one problem: the checks naming that probe do not add "probes is empty"', () => {
    const file = join(tmp.dir, 'typo.yaml');
    writeFileSync(file, [
      'title: One typo',
      'phases: { before: 5s, during: 20s, after: 5s }',
      'hypothesis:',
      '  probes:',
      '    - { name: web, type: lod, url: "http://127.0.0.1:8080", rate: 100 }',
      '  tolerances:',
      '    - web.errors.rate <= 1%',
      '    - web.latency.p99 canary <= 1.2x control',
      'abort:',
      '  - web.errors.rate > 20% min 20',
      '',
    ].join('\n'));
    const issues = loadExperimentFile(file).issues.map(formatIssue);
    assert.deepEqual(issues.length, 1, issues.join('\n'));
    assert.match(issues[0]!, /typo\.yaml:5:\d+: hypothesis\.probes\[0\]\.type: unknown probe type "lod" \(did you mean "load"\?\)/);
  });

  it('a misspelt attribute and field name each suggest the one meant', () => {
    const file = join(tmp.dir, 'names.yaml');
    writeFileSync(file, ['title: Names', 'phses: { during: 5s }', 'faults:', '  - { type: process, apply: "true", revert: "true", timout: 5s }', ''].join('\n'));
    const issues = loadExperimentFile(file).issues.map(formatIssue);
    assert.ok(issues.some((i) => /phses: unknown field "phses" \(did you mean "phases"\?\)/.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /faults\[0\]\.timout: unknown attribute "timout" \(did you mean "timeout"\?\)/.test(i)), issues.join('\n'));
  });

  it('validate DIR checks the experiments and skips journals, suites and other files, saying so', async () => {
    const dir = join(tmp.dir, 'exp');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.yaml'), 'title: Good\nphases: { during: 1s }\nfaults:\n  - { type: process, apply: "true", revert: "true" }\n');
    writeFileSync(join(dir, 'run-1.json'), JSON.stringify({ schema: 'firebreak.journal/v1', runId: 'x', experiment: { title: 'old' } }));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'not-an-experiment', version: '1.0.0' }));
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx\n');
    writeFileSync(join(dir, 'nightly.yaml'), 'name: nightly\nexperiments:\n  - good.yaml\n');
    writeFileSync(join(dir, 'broken.yaml'), 'title: "Broken\n');
    const r = await runCli(['validate', dir]);
    assert.equal(r.code, 64, r.stdout + r.stderr);
    assert.match(r.stdout, /good\.yaml: ok \(Good\)/);
    assert.match(r.stderr, /broken\.yaml:1:\d+: syntax error: the double quote opened on this line is never closed/);
    for (const [f, why] of [['run-1.json', 'a journal'], ['package.json', 'no title'], ['compose.yaml', 'no title'], ['nightly.yaml', 'a suite']]) {
      assert.match(r.stdout, new RegExp(`${f.replace('.', '\\.')}: skipped, not an experiment \\(${why}`), r.stdout);
    }
    assert.match(r.stderr, /1 of 2 file\(s\) invalid/);
    const j = await runCli(['validate', dir, '--json']);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.valid, 1);
    assert.equal(doc.invalid, 1);
    assert.equal(doc.skipped.length, 4);
    assert.equal(j.stderr, '');
  });
});
