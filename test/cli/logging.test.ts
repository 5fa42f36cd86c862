import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { runOnTty, SGR, ttyExperiment } from '../helpers/tty.js';

describe('CLI logs: human on a terminal, JSON otherwise', function () {
  this.timeout(60_000);
  const exp = ttyExperiment('ok.yaml', [
    'title: Logged',
    'phases: { before: 100ms, during: 300ms, after: 100ms, tick: 100ms }',
    'hypothesis:',
    '  probes: [ { name: ok, type: process, command: "echo ok" } ]',
    '  tolerances: [ "ok.stdout == \\"ok\\"" ]',
    'faults: [ { type: process, apply: "true", revert: "true" } ]',
  ]);
  let file: string;
  beforeEach(() => (file = exp.file()));
  const ledger = (): string[] => ['--ledger', join(exp.dir(), 'l.jsonl')];
  const journal = (): string[] => ['--journal', join(exp.dir(), 'journals/')];

  it('on a terminal: one human line per engine step at info, no JSON', async () => {
    const r = await runOnTty([...ledger(), '--log-level', 'info', 'run', '-q', file, ...journal()]);
    assert.equal(r.code, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /\{"level"/);
    const info = r.stdout.split('\n').filter((l) => / INFO /.test(l));
    for (const step of [/ INFO +plan: Logged: 1 fault\(s\) .*runId=\w+/, / INFO +phase before started/, / INFO +applied run "true"/, / INFO +reverted run "true"/, / INFO +verdict held/]) {
      assert.equal(info.filter((l) => step.test(l)).length, 1, `${step}: ${r.stdout}`);
    }
    assert.match(info[0]!, /^(\x1b\[\d+m)?\d\d:\d\d:\d\d\.\d{3}/);
    assert.doesNotMatch(r.stdout, / DEBUG /, 'debug is not on at info');
  });

  it('piped: pino JSON lines on stderr', async () => {
    const r = await runCli([...ledger(), '--log-level', 'info', 'run', '-q', file, ...journal()]);
    assert.equal(r.code, 0, r.stderr);
    const records = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.ok(records.some((x) => x.level === 'info' && /^plan: Logged/.test(x.msg)), r.stderr);
    assert.ok(records.some((x) => /^applied /.test(x.msg)));
  });

  it('--log-format json on a terminal gives JSON; FIREBREAK_LOG_FORMAT=human piped gives human lines', async () => {
    const tty = await runOnTty([...ledger(), '--log-level', 'info', '--log-format', 'json', 'run', '-q', file, ...journal()]);
    assert.equal(tty.code, 0, tty.stdout);
    const json = tty.stdout.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(json.length >= 5, tty.stdout);
    for (const l of json) assert.ok(JSON.parse(l).level);
    const piped = await runCli([...ledger(), '--log-level', 'info', 'run', '-q', file, ...journal()], { env: { FIREBREAK_LOG_FORMAT: 'human' } });
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /\{"level"/);
    assert.match(piped.stderr, / INFO +applied run "true"/);
    assert.doesNotMatch(piped.stderr, SGR, 'no colour when the output is not a terminal');
  });

  it('-v shows debug lines, -vv trace; the default shows neither', async () => {
    const quiet = await runOnTty([...ledger(), 'run', '-q', file, ...journal()]);
    assert.doesNotMatch(quiet.stdout, / (INFO|DEBUG|TRACE) /);
    const v = await runOnTty([...ledger(), '-v', 'run', '-q', file, ...journal()]);
    assert.equal(v.code, 0, v.stdout);
    assert.match(v.stdout, / DEBUG planned run "true"/);
    assert.doesNotMatch(v.stdout, / TRACE /);
    const vv = await runOnTty([...ledger(), '-vv', 'run', '-q', file, ...journal()]);
    assert.match(vv.stdout, / TRACE tick .*phase=during/);
  });

  it('an unknown level (flag or environment) or format is a usage error, exit 64, listing the choices', async () => {
    for (const [args, env, from] of [
      [['--log-level', 'loud'], {}, '--log-level'],
      [[], { FIREBREAK_LOG_LEVEL: 'loud' }, 'FIREBREAK_LOG_LEVEL'],
    ] as const) {
      const r = await runCli([...args, ...ledger(), 'run', file], { env: { ...env } });
      assert.equal(r.code, 64, r.stderr);
      assert.match(r.stderr, new RegExp(`FIREBREAK_E_USAGE: ${from}: unknown log level "loud" \\(levels: fatal, error, warn, info, debug, trace, silent\\)`));
      assert.match(r.stderr, /hint: See `firebreak <command> --help`/);
      assert.doesNotMatch(r.stderr, /\n +at /, 'no stack trace');
      assert.equal(r.stdout, '');
    }
    const f = await runCli(['--log-format', 'xml', 'validate', file]);
    assert.equal(f.code, 64);
    assert.match(f.stderr, /unknown log format "xml" \(formats: json, human\)/);
  });

  it('validate and run put problems on stderr, results on stdout', async () => {
    const bad = join(exp.dir(), 'bad.yaml');
    writeFileSync(bad, 'title: Bad\nphases: { during: forever }\n');
    for (const cmd of ['validate', 'run']) {
      const r = await runCli([...ledger(), cmd, bad]);
      assert.equal(r.code, 64, cmd);
      assert.equal(r.stdout, '', `${cmd}: nothing on stdout`);
      assert.match(r.stderr, /bad\.yaml:2:\d+: phases\.during: is not a duration/, cmd);
      assert.match(r.stderr, /FIREBREAK_E_INVALID: 1 of 1 .* invalid/, cmd);
    }
    const ok = await runCli(['validate', file]);
    assert.match(ok.stdout, /ok\.yaml: ok \(Logged\)/);
  });

  it('a failed run on a terminal: the error as a human line, never raw JSON', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const refused = join(exp.dir(), 'refused.yaml');
    writeFileSync(refused, `title: Refused\ntarget: { proxy: { url: "http://127.0.0.1:${port}" } }\nfaults: [ { type: proxy.latency, proxy: p, latency: 1ms, cohort: all } ]\n`);
    const r = await runOnTty([...ledger(), 'run', refused, ...journal()]);
    assert.equal(r.code, 4, r.stdout);
    assert.doesNotMatch(r.stdout, /\{"level"/);
    assert.match(r.stdout, / ERROR phase failed .*FIREBREAK_E_DRIVER_UNREACHABLE/);
    assert.match(r.stdout, /hint: Start the system or point the driver at it/);
  });

  it('colour: on a terminal unless NO_COLOR or --no-color; ASCII only with FIREBREAK_ASCII=1 or a non-UTF-8 locale', async () => {
    const args = [...ledger(), '--log-level', 'info', 'run', file, ...journal()];
    const coloured = await runOnTty(args);
    assert.match(coloured.raw, SGR);
    assert.match(coloured.stdout, /[^\x00-\x7f]/, 'Unicode glyphs under a UTF-8 locale');
    for (const [extra, env] of [[[], { NO_COLOR: '1' }], [['--no-color'], {}]] as const) {
      const r = await runOnTty([...extra, ...args], { env: { ...env } });
      assert.equal(r.code, 0, r.stdout);
      assert.doesNotMatch(r.raw, SGR, JSON.stringify(extra));
    }
    for (const env of [{ FIREBREAK_ASCII: '1' }, { LANG: 'C' }, { TERM: 'dumb' }] as Record<string, string>[]) {
      const r = await runOnTty(args, { env });
      assert.equal(r.code, 0, r.stdout);
      const high = [...Buffer.from(r.raw, 'utf8')].filter((b) => b >= 0x80);
      assert.deepEqual(high, [], `${JSON.stringify(env)}: ${r.stdout}`);
      assert.match(r.stdout, /\n {2}\+ \[before\] ok\.stdout == "ok"/, 'the summary\'s marks too');
    }
  });

  it('secrets stay scrubbed in the human format, at trace', async () => {
    const secret = 'hunter2-token-value';
    const s = join(exp.dir(), 'secret.yaml');
    writeFileSync(s, [
      'title: Secret',
      'secrets: { token: { env: FB_TEST_TOKEN } }',
      'phases: { before: 100ms, during: 200ms, after: 100ms, tick: 100ms }',
      'hypothesis:',
      '  probes: [ { name: shell, type: process, command: "echo token ${token}" } ]',
      'faults: [ { type: process, apply: "echo ${token} >/dev/null", revert: "true" } ]',
      '',
    ].join('\n'));
    const r = await runOnTty([...ledger(), '-vv', 'run', s, ...journal()], { env: { FB_TEST_TOKEN: secret } });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, / DEBUG /);
    assert.ok(!r.stdout.includes(secret), r.stdout);
    assert.match(r.stdout, /\*\*\*/);
  });
});
