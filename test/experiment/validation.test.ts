import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { formatIssue } from '../../src/experiment/issues.js';
import { runCli, tempDir } from '../helpers/cli.js';

const base = {
  title: 'Base',
  phases: { before: '1s', during: '2s', after: '1s' },
  hypothesis: { probes: [{ name: 'web', type: 'http', url: 'http://127.0.0.1:9/' }], tolerances: ['web.status == 200'] },
  faults: [{ type: 'process', apply: 'true', revert: 'true' }],
};

/** [what, change to the base experiment, path expected, message fragment] */
const BAD: [string, (e: any) => void, string, RegExp][] = [
  ['missing title', (e) => delete e.title, 'title', /is required/],
  ['unknown top-level field', (e) => (e.fautls = []), 'fautls', /unknown field "fautls"/],
  ['unknown fault type lists known ones', (e) => (e.faults[0].type = 'proxy.latenzy'), 'faults[0].type', /unknown fault type "proxy.latenzy" \(did you mean "proxy.latency"\?\) \(expected one of .*process/],
  ['unknown probe type', (e) => (e.hypothesis.probes[0].type = 'htp'), 'hypothesis.probes[0].type', /unknown probe type "htp"/],
  ['bad duration', (e) => (e.phases.during = '2 minutes'), 'phases.during', /is not a duration/],
  ['fault starts after during', (e) => (e.faults[0].start = '5s'), 'faults[0].start', /after the during phase ends/],
  ['missing revert', (e) => delete e.faults[0].revert, 'faults[0].revert', /is required/],
  ['unknown attribute', (e) => (e.faults[0].aply = 'x'), 'faults[0].aply', /unknown attribute "aply" \(did you mean "apply"\?\)/],
  ['tolerance on unknown probe', (e) => (e.hypothesis.tolerances = ['api.status == 200']), 'hypothesis.tolerances[0]', /unknown probe "api"/],
  ['unreadable tolerance', (e) => (e.hypothesis.tolerances = ['web.status is fine']), 'hypothesis.tolerances[0]', /cannot read tolerance/],
  ['canary-vs-control on a value probe', (e) => (e.hypothesis.tolerances = ['web.latency.p99 canary <= 1.2x control']), 'hypothesis.tolerances[0]', /needs a signals probe/],
  ['stop condition on a value probe', (e) => (e.abort = ['web.errors.rate > 20%']), 'abort[0]', /watch signals probes/],
  ['traffic shares over 100%', (e) => (e.cohort = { traffic: { canary: '60%', control: '50%' } }), 'cohort.traffic', /add up to more than 100%/],
  ['bad sticky key', (e) => (e.cohort = { traffic: { canary: '5%', control: '5%', key: 'query:id' } }), 'cohort.traffic.key', /cannot read sticky key/],
  ['bad target mode', (e) => (e.cohort = { targets: { driver: 'core', selector: {}, mode: 'half' } }), 'cohort.targets.mode', /unknown mode "half"/],
  ['undefined variable', (e) => (e.hypothesis.probes[0].url = '${api_url}/health'), 'hypothesis.probes[0].url', /variable \$\{api_url\} has no value/],
  ['http probe without http url', (e) => (e.hypothesis.probes[0].url = 'ftp://x'), 'hypothesis.probes[0].url', /must be an http\(s\) URL/],
  ['unknown driver in target', (e) => (e.target = { dockr: {} }), 'target.dockr', /unknown driver "dockr"/],
  ['misspelt signal field in a tolerance', (e) => withLoad(e, { tolerances: ['shop.latncy.p99 < 250ms'] }), 'hypothesis.tolerances[0]', /unknown signal field "latncy.p99"/],
  ['misspelt signal field in a stop condition', (e) => withLoad(e, { abort: ['shop.error.rate > 20%'] }), 'abort[0]', /unknown signal field "error.rate"/],
  ['a comparison with the control without cohorts', (e) => withLoad(e, { abort: ['shop.latency.p99 > 5x control'] }), 'abort[0]', /could never fire: probe "shop" \(load\) measures only untouched/],
  ['a canary-vs-control check on a probe without cohorts', (e) => withLoad(e, { tolerances: ['shop.latency.p99 canary <= 1.2x control'] }), 'hypothesis.tolerances[0]', /the canary cannot be compared with the control here/],
  ['canary-vs-control on an unsupported field', (e) => withLoad(e, { tolerances: ['shop.latency.max canary <= 1.2x control'] }), 'hypothesis.tolerances[0]', /cannot compare "latency.max"/],
  ['errors compared with >=', (e) => withLoad(e, { tolerances: ['shop.errors.rate canary >= 0.9x control'] }), 'hypothesis.tolerances[0]', /the <= operator/],
  ['a margin below 1x control', (e) => withLoad(e, { tolerances: ['shop.latency.p99 canary <= 0.9x control'] }), 'hypothesis.tolerances[0]', /canary to be better than the control/],
  ['an allowance in the wrong unit', (e) => withLoad(e, { tolerances: ['shop.latency.p99 canary <= control + 5%'] }), 'hypothesis.tolerances[0]', /not in latency.p99's unit/],
  ['a subtracted allowance with <=', (e) => withLoad(e, { tolerances: ['shop.latency.p99 canary <= control - 50ms'] }), 'hypothesis.tolerances[0]', /allowance is added/],
  ['no margin at all', (e) => withLoad(e, { tolerances: ['shop.latency.p99 canary <= control'] }), 'hypothesis.tolerances[0]', /leaves no margin at all/],
  ['a sequential errors test with a threshold', (e) => withLoad(e, { abort: ['sequential shop.errors > 300ms'] }), 'abort[0]', /only "sequential <probe>.latency" takes a threshold/],
  ['an unknown Docker selector key', (e) => (e.cohort = { targets: { driver: 'docker', selector: { lables: { app: 'x' } } } }), 'cohort.targets.selector.lables', /unknown/],
  ['a bare 1 as a traffic share', (e) => (e.cohort = { traffic: { canary: 1, control: '5%' } }), 'cohort.traffic.canary', /is not a share: 1/],
];

/** Adds a signals probe named `shop` and the given tolerances/stop conditions. */
function withLoad(e: any, extra: { tolerances?: string[]; abort?: string[] }): void {
  e.hypothesis.probes.push({ name: 'shop', type: 'load', url: 'http://127.0.0.1:9/', rate: 1 });
  if (extra.tolerances) e.hypothesis.tolerances = extra.tolerances;
  if (extra.abort) e.abort = extra.abort;
}

describe('experiment validation', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => tmp.cleanup());

  for (const [what, change, path, message] of BAD) {
    it(`reports ${what} at ${path}, with its line and column`, () => {
      const e = structuredClone(base);
      change(e);
      const file = join(tmp.dir, `${what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, stringify(e));
      const loaded = loadExperimentFile(file, { env: {} });
      assert.equal(loaded.experiment, undefined);
      const issue = loaded.issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}; got ${loaded.issues.map(formatIssue).join(' | ')}`);
      assert.match(formatIssue(issue), message);
      assert.ok(issue.line! >= 1 && issue.column! >= 1, 'has a position');
      assert.equal(issue.file, file);
    });
  }

  it('a bare number is a percentage for target modes (1 means 1%, not 100%)', () => {
    const file = join(tmp.dir, 'percent.yaml');
    writeFileSync(file, stringify({ ...structuredClone(base), cohort: { targets: { driver: 'docker', selector: { labels: { app: 'x' } }, mode: 'percent', value: 1 } } }));
    const loaded = loadExperimentFile(file);
    assert.deepEqual(loaded.issues, []);
    assert.equal(loaded.experiment!.cohort.targets!.value, 1);
  });

  it('secret values are redacted in validation messages', () => {
    const file = join(tmp.dir, 'secret-in-error.yaml');
    writeFileSync(file, 'title: Secret in an error\nsecrets: { tok: { env: FB_SECRET_IN_ERROR } }\nphases: { during: "${tok}" }\n');
    const loaded = loadExperimentFile(file, { env: { FB_SECRET_IN_ERROR: 'hunter2secretvalue' } });
    const text = loaded.issues.map(formatIssue).join('\n');
    assert.match(text, /phases\.during: is not a duration: "\*\*\*"/);
    assert.ok(!text.includes('hunter2secretvalue'));
  });

  it('the base experiment is valid', () => {
    const file = join(tmp.dir, 'base.yaml');
    writeFileSync(file, stringify(base));
    const loaded = loadExperimentFile(file);
    assert.deepEqual(loaded.issues, []);
    assert.equal(loaded.experiment?.phases.during, 2000);
  });

  it('points at the exact line and column of the bad field', () => {
    const file = join(tmp.dir, 'positions.yaml');
    writeFileSync(file, ['title: Positions', 'phases:', '  before: 1s', '  during: soon', 'faults: []', ''].join('\n'));
    const [issue] = loadExperimentFile(file).issues;
    assert.equal(formatIssue(issue!), `${file}:4:11: phases.during: is not a duration: "soon" (expected like 250ms, 30s, 2m)`);
  });

  it('reports syntax errors with their position', () => {
    const file = join(tmp.dir, 'syntax.json');
    writeFileSync(file, '{\n  "title": "x",\n  "faults": [1, 2\n}\n');
    const issues = loadExperimentFile(file).issues;
    assert.ok(issues.length >= 1);
    assert.match(formatIssue(issues[0]!), /syntax\.json:3:\d+: syntax error: the \[ opened here is not closed/);
  });

  it('JSON experiments get the same model and positions as YAML', () => {
    const file = join(tmp.dir, 'e.json');
    writeFileSync(file, JSON.stringify({ ...base, phases: { during: 'later' } }, null, 2));
    const [issue] = loadExperimentFile(file).issues;
    assert.equal(issue!.path, 'phases.during');
    assert.equal(issue!.line, 4);
  });

  it('`firebreak validate` on a file with three mistakes exits 64 and reports all three with line and column', async () => {
    const file = join(tmp.dir, 'three.yaml');
    writeFileSync(file, [
      'title: Three mistakes',
      'phases: { before: 1s, during: forever }',
      'hypothesis:',
      '  probes:',
      '    - { name: web, type: http, url: "http://127.0.0.1:9/" }',
      '  tolerances: [ "web.status == 200" ]',
      'faults:',
      '  - { type: process, apply: "true" }',
      '  - { type: procss, apply: "true", revert: "true" }',
      '',
    ].join('\n'));
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 64, r.stdout + r.stderr);
    // Problems go to stderr (the same stream as run's), then the count.
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    assert.match(lines[3]!, /1 of 1 file\(s\) invalid/);
    assert.match(lines[0]!, /three\.yaml:2:\d+: phases\.during: is not a duration/);
    assert.match(lines[1]!, /three\.yaml:8:\d+: faults\[0\]\.revert: is required/);
    assert.match(lines[2]!, /three\.yaml:9:\d+: faults\[1\]\.type: unknown fault type "procss"/);
  });

  it('`firebreak run` refuses an invalid experiment before touching anything', async () => {
    const flag = join(tmp.dir, 'touched');
    const file = join(tmp.dir, 'invalid-run.yaml');
    writeFileSync(file, ['title: Invalid', 'phases: { during: 1s, tick: 10ms }', 'faults:', `  - { type: process, apply: "touch ${flag}", revert: "true" }`, ''].join('\n'));
    const r = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'run', file]);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /phases\.tick: must be at least 50ms/);
    assert.equal(existsSync(flag), false);
  });
});

