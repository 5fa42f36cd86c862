import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, tempDir } from '../helpers/cli.js';

/** Through the real CLI: a suite gating a release, its reports, history, and report from history. */
describe('CLI: suite, history and report', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  function write(name: string, data: unknown): string {
    const p = join(tmp.dir, name);
    writeFileSync(p, stringify(data));
    return p;
  }
  function exp(name: string, deviates: boolean): void {
    const flag = join(tmp.dir, `${name}.flag`);
    write(`${name}.yaml`, {
      title: name, phases: { before: '200ms', during: '500ms', after: '200ms', tick: '100ms' },
      hypothesis: { probes: [{ name: 'flag', type: 'process', command: `test -f ${flag} && echo down || echo up` }], tolerances: [deviates ? 'flag.stdout == "up"' : 'flag.exitCode == 0'] },
      faults: [{ type: 'process', apply: `touch ${flag}`, revert: `rm -f ${flag}` }],
    });
  }
  const common = () => ['--ledger', join(tmp.dir, 'ledger.jsonl')];
  const suiteArgs = (file: string) => [...common(), 'suite', file, '--journal', join(tmp.dir, 'journals'), '--history', join(tmp.dir, 'history.jsonl')];

  it('exit 0 when every expectation is met; one JSON document with every verdict; JUnit, Markdown and HTML written', async () => {
    exp('ok', false);
    exp('weak', true);
    const suite = write('suite.yaml', { name: 'release gate', experiments: [{ path: 'ok.yaml' }, { path: 'weak.yaml', expect: 'deviated' }] });
    const r = await runCli([...suiteArgs(suite), '--json', '--report', `junit:${join(tmp.dir, 'out/j.xml')}`, '--report', `markdown:${join(tmp.dir, 'out/r.md')}`, '--report', `html:${join(tmp.dir, 'out/r.html')}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { gate: string; scoreText: string; outcomes: { status: string; gate: string }[] };
    assert.deepEqual([doc.gate, ...doc.outcomes.map((o) => o.status)], ['passed', 'held', 'deviated']);
    assert.equal(doc.scoreText, '1/2 held (0.50), coverage 2/2');
    for (const f of ['j.xml', 'r.md', 'r.html']) assert.ok(existsSync(join(tmp.dir, 'out', f)), f);
    assert.match(readFileSync(join(tmp.dir, 'out/j.xml'), 'utf8'), /<testsuite name="release gate" tests="2" failures="0" errors="0" skipped="0"/);
  });

  it('exit 6 when the gate fails, with the miss named; history lists it; report renders it from history', async () => {
    exp('ok', false);
    exp('weak', true);
    const suite = write('suite.yaml', { name: 'release gate', experiments: ['ok.yaml', 'weak.yaml'] });
    const r = await runCli(suiteArgs(suite));
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.match(r.stdout, /release gate: gate FAILED \(exit 6\)/);
    assert.match(r.stdout, /weak\s+deviated \(fail; expected held\)/);
    const h = await runCli(['history', '--history', join(tmp.dir, 'history.jsonl')]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /suite\s+failed\s+release gate: 1\/2 held/);
    assert.match(h.stdout, /run\s+deviated\s+weak/);
    const j = await runCli(['history', '--history', join(tmp.dir, 'history.jsonl'), '--kind', 'run', '--json']);
    assert.equal((JSON.parse(j.stdout) as unknown[]).length, 2);
    const md = await runCli(['report', '--format', 'markdown', '--history', join(tmp.dir, 'history.jsonl')]);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /## release gate: GATE FAILED/);
    assert.match(md.stdout, /\| ❌ \| weak \| deviated \| held \|/);
    const junit = await runCli(['report', '--format', 'junit', join(tmp.dir, 'journals')]);
    assert.match(junit.stdout, /<testsuites name="firebreak report" tests="2" failures="1"/);
  });

  it('an invalid suite or experiment runs nothing (exit 64), with positions', async () => {
    exp('ok', false);
    const suite = write('suite.yaml', { name: 'x', experiments: [{ path: 'ok.yaml', weight: -1 }] });
    const r = await runCli(suiteArgs(suite));
    assert.equal(r.code, 64);
    assert.match(r.stderr, /suite\.yaml:\d+:\d+: experiments\[0\]\.weight: must be a number above 0/);
    assert.equal(existsSync(join(tmp.dir, 'ledger.jsonl')), false, 'nothing touched');
  });

  it('history rebuild recreates the runs from the journals', async () => {
    exp('ok', false);
    const suite = write('suite.yaml', { name: 'x', experiments: ['ok.yaml'] });
    assert.equal((await runCli(suiteArgs(suite))).code, 0);
    writeFileSync(join(tmp.dir, 'history.jsonl'), '');
    const r = await runCli(['history', '--history', join(tmp.dir, 'history.jsonl'), 'rebuild', '--journals', join(tmp.dir, 'journals')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 run\(s\)/);
    const h = await runCli(['history', '--history', join(tmp.dir, 'history.jsonl'), '--json']);
    assert.equal((JSON.parse(h.stdout) as { kind: string }[])[0]!.kind, 'run');
  });
});
