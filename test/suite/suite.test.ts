import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EXIT } from '../../src/errors.js';
import { History } from '../../src/history/history.js';
import { formatIssue } from '../../src/experiment/issues.js';
import { loadSuiteFile } from '../../src/suite/load.js';
import { loadSuiteExperiments, runSuite } from '../../src/suite/run.js';
import { scoreOf } from '../../src/suite/score.js';
import { tempDir } from '../helpers/cli.js';

const quick = { before: '200ms', during: '600ms', after: '200ms', tick: '100ms' };

/** An experiment whose verdict is known: held (the flag probe never sees the fault) or deviated (it does). */
function experiment(dir: string, name: string, verdict: 'held' | 'deviated' | 'failed' | 'slow'): string {
  const flag = join(dir, `${name}.flag`);
  const e = {
    title: name, phases: verdict === 'slow' ? { ...quick, during: '4s' } : quick,
    hypothesis: { probes: [{ name: 'flag', type: 'process', command: `test -f ${flag} && echo down || echo up`, phases: ['before', 'during', 'after'] }], tolerances: verdict === 'deviated' ? ['flag.stdout == "up"'] : ['flag.exitCode == 0'] },
    faults: [verdict === 'failed' ? { type: 'process', apply: 'exit 3', revert: 'true' } : { type: 'process', apply: `touch ${flag}`, revert: `rm -f ${flag}` }],
  };
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(e));
  return path;
}

function suiteFile(dir: string, body: Record<string, unknown>): string {
  const path = join(dir, 'suite.yaml');
  writeFileSync(path, stringify({ name: 'test suite', ...body }));
  return path;
}

describe('suites: experiments against their expected verdicts', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  async function run(body: Record<string, unknown>) {
    const { suite, issues } = loadSuiteFile(suiteFile(tmp.dir, body));
    assert.ok(suite, issues.map(formatIssue).join('\n'));
    const exps = loadSuiteExperiments(suite);
    assert.deepEqual(exps.issues, []);
    const history = new History(join(tmp.dir, 'history.jsonl'));
    const r = await runSuite(suite, exps.loaded, { ledgerPath: join(tmp.dir, 'ledger.jsonl'), journalDir: join(tmp.dir, 'journals'), history });
    return { r, history };
  }

  it('every expectation met (a known weakness expected to deviate included): gate passed, exit 0, history written', async () => {
    experiment(tmp.dir, 'a-holds', 'held');
    experiment(tmp.dir, 'b-weak', 'deviated');
    const { r, history } = await run({ experiments: [{ path: 'a-*.yaml' }, { path: 'b-weak.yaml', expect: ['deviated'] }] });
    assert.equal(r.gate, 'passed');
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.outcomes.map((o) => [o.title, o.status, o.gate]), [['a-holds', 'held', 'pass'], ['b-weak', 'deviated', 'pass']]);
    assert.equal(r.score.text, '1/2 held (0.50), coverage 2/2');
    assert.ok(r.outcomes.every((o) => o.journalPath && existsSync(o.journalPath)));
    const kinds = history.read().map((e) => e.kind);
    assert.deepEqual(kinds, ['run', 'run', 'suite']);
  });

  it('a verdict outside its expectation fails the gate (exit 6); a critical miss stops the suite', async () => {
    experiment(tmp.dir, 'a', 'deviated');
    experiment(tmp.dir, 'b', 'held');
    const { r } = await run({ experiments: [{ path: 'a.yaml', critical: true }, { path: 'b.yaml' }] });
    assert.equal(r.gate, 'failed');
    assert.equal(r.exitCode, EXIT.gate);
    assert.equal(r.outcomes[0]!.gate, 'fail');
    assert.equal(r.outcomes[1]!.gate, 'skipped');
    assert.match(r.halted!, /critical experiment "a" missed its expectation \(deviated\)/);
  });

  it('a run that could not test is an error, not a pass or a deviation', async () => {
    experiment(tmp.dir, 'broken', 'failed');
    const { r } = await run({ experiments: ['broken.yaml'] });
    assert.equal(r.outcomes[0]!.status, 'failed');
    assert.equal(r.outcomes[0]!.gate, 'error');
    assert.equal(r.exitCode, EXIT.gate);
  });

  it('a guard failing before an experiment halts the suite: nothing more runs', async () => {
    experiment(tmp.dir, 'a', 'held');
    const down = join(tmp.dir, 'down');
    writeFileSync(down, '');
    const { r } = await run({ experiments: ['a.yaml'], guards: [{ name: 'health', probe: { type: 'process', command: `test -f ${down} && exit 1 || exit 0` }, check: 'health.exitCode == 0', every: '1s' }] });
    assert.equal(r.outcomes[0]!.gate, 'skipped');
    assert.match(r.halted!, /guard health failed: health.exitCode == 0: observed 1, before a/);
    assert.equal(r.exitCode, EXIT.gate);
  });

  it('a guard failing during an experiment interrupts it (its fault reverted) and halts the suite', async () => {
    const path = experiment(tmp.dir, 'slow', 'slow');
    const flag = join(tmp.dir, 'slow.flag');
    experiment(tmp.dir, 'later', 'held');
    // The guard fails once the experiment's fault is in (the flag exists).
    const { r } = await run({ experiments: [path, 'later.yaml'], guards: [{ name: 'health', probe: { type: 'process', command: `test -f ${flag} && exit 1 || exit 0` }, check: 'health.exitCode == 0', every: '1s' }] });
    assert.equal(r.outcomes[0]!.status, 'interrupted');
    assert.equal(existsSync(flag), false, 'the fault was reverted');
    assert.equal(r.outcomes[1]!.gate, 'skipped');
    assert.match(r.halted!, /guard health failed.*during slow/);
  });

  it('suite files are validated with positions: unknown fields, bad expectations, unmatched patterns, bad guards', () => {
    const path = suiteFile(tmp.dir, { experiments: [{ path: 'none-*.yaml' }, { path: 'x.yaml', expect: ['happy'] }], stopOn: 'sometimes', guards: [{ name: 'g', probe: { type: 'load', url: 'http://127.0.0.1:9/', rate: 1 }, check: 'g.errors.rate < 1%' }], colour: 'red' });
    const { suite, issues } = loadSuiteFile(path);
    assert.equal(suite, undefined);
    const byPath = new Map(issues.map((i) => [i.path, i]));
    assert.match(byPath.get('experiments[0].path')!.message, /no experiment file matches "none-\*\.yaml"/);
    assert.match(byPath.get('experiments[1].expect')!.message, /must list verdicts/);
    assert.match(byPath.get('stopOn')!.message, /critical, any or never/);
    assert.match(byPath.get('guards[0].probe.type')!.message, /a guard runs a value probe/);
    assert.match(byPath.get('colour')!.message, /unknown field/);
    for (const i of issues) assert.ok(i.line! >= 1, `${i.path} has a line`);
  });
});

describe('the resilience score', () => {
  const o = (status: string | undefined, weight = 1, path = Math.random().toString()) => ({ path, weight, ...(status ? { status: status as never } : {}) });

  it('is the weighted share of decided experiments that held, with coverage and staleness', () => {
    const s = scoreOf([o('held', 2), o('held'), o('deviated'), o('inconclusive'), o(undefined)], { lastDecidedAt: () => undefined });
    assert.equal(s.value, 3 / 4);
    assert.equal(s.text, '2/3 held (0.75), coverage 3/5, 2 stale');
  });

  it('an added failing experiment can never raise it; an added undecidable one cannot move it', () => {
    const base = [o('held'), o('deviated'), o('held', 3)];
    const v = scoreOf(base).value!;
    for (const status of ['deviated', 'aborted']) assert.ok(scoreOf([...base, o(status, 5)]).value! < v);
    for (const status of ['inconclusive', 'failed', 'not-steady', undefined]) assert.equal(scoreOf([...base, o(status, 5)]).value, v);
  });

  it('an experiment decided recently, though not in this run, is not stale', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const s = scoreOf([o('held'), o('inconclusive', 1, 'recent'), o('inconclusive', 1, 'old')], { now, staleAfterMs: 7 * 86_400_000, lastDecidedAt: (p) => (p === 'recent' ? now - 86_400_000 : now - 30 * 86_400_000) });
    assert.equal(s.stale, 1);
  });
});
