import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { RunEvents } from '../../src/engine/events.js';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { clearSecrets, registerSecret, scrub } from '../../src/log.js';
import { attachProgress } from '../../src/report/progress.js';
import { runCli, startCli, tempDir, waitCli, waitFor } from '../helpers/cli.js';

describe('secrets: redacted everywhere, real where a revert needs them', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => {
    tmp.cleanup();
    clearSecrets();
  });

  it('redacts JSON-escaped and URL-encoded forms, the longest secret first', () => {
    registerSecret('pa"ss\\word');
    registerSecret('token-123');
    registerSecret('token-123-extended');
    assert.equal(scrub('{"password":"pa\\"ss\\\\word"}'), '{"password":"***"}');
    assert.equal(scrub('x=pa%22ss%5Cword'), 'x=***');
    assert.equal(scrub('a token-123-extended b token-123'), 'a *** b ***');
  });

  it('progress output never shows a secret cut short by truncation', () => {
    registerSecret('s3cr3t-value-that-is-long');
    const events = new RunEvents();
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const detach = attachProgress(events, out);
    events.emitEvent('probe-result', { phase: 'before', probe: 'p', result: { status: 'ok', value: { stdout: `${'x'.repeat(100)}s3cr3t-value-that-is-long` }, durationMs: 1 } as never });
    detach();
    assert.ok(!text.includes('s3cr3t'), text);
  });

  it('a secret too short to redact is refused at validation, without showing it', () => {
    const file = join(tmp.dir, 'short.yaml');
    writeFileSync(file, 'title: Short\nsecrets: { pin: { env: FB_TEST_PIN } }\nfaults: []\n');
    const loaded = loadExperimentFile(file, { env: { FB_TEST_PIN: 'ab' } });
    const issue = loaded.issues.find((i) => i.path === 'secrets.pin');
    assert.match(issue?.message ?? '', /is 2 character\(s\) long; secrets shorter than 6 cannot be redacted safely/);
    assert.ok(!JSON.stringify(loaded.issues).includes('"ab"'));
  });

  it('secret files are bounded: a device or a pipe is refused at once', () => {
    for (const dev of ['/dev/zero', '/dev/stdin']) {
      const file = join(tmp.dir, 'dev.yaml');
      writeFileSync(file, `title: Dev\nsecrets: { key: { file: ${dev} } }\nfaults: []\n`);
      const started = Date.now();
      const loaded = loadExperimentFile(file);
      assert.ok(Date.now() - started < 2_000);
      assert.match(loaded.issues[0]?.message ?? '', /cannot read secret file .*(not a regular file|ENXIO|ENOENT)/, dev);
    }
  });

  it('recover reverts with the real value read again from its source, and refuses, naming the secret, when it cannot', async () => {
    const flag = join(tmp.dir, 'flag');
    const seen = join(tmp.dir, 'seen');
    const ledger = join(tmp.dir, 'ledger.jsonl');
    const file = join(tmp.dir, 'secret.yaml');
    writeFileSync(file, [
      'title: Secret revert',
      'secrets: { token: { env: FB_TEST_TOKEN } }',
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      `  - { type: process, apply: "touch ${flag}", revert: "echo \${token} > ${seen}; rm -f ${flag}" }`,
      '',
    ].join('\n'));
    const env = { FB_TEST_TOKEN: 'real-token-4711' };
    const run = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir, env });
    await waitFor('the fault', () => existsSync(ledger) && Ledger.readEntries(ledger).some((e) => e.event === 'applied'));
    run.kill('SIGKILL');
    await waitCli(run, 10_000);
    const text = readFileSync(ledger, 'utf8');
    assert.ok(!text.includes('real-token-4711'), 'no value in the ledger');
    assert.match(text, /\$\{secret:token\}/);
    assert.match(text, /"secrets":\{"token":\{"env":"FB_TEST_TOKEN"\}\}/);
    const refused = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir, env: { FB_TEST_TOKEN: '' } });
    assert.equal(refused.code, 4);
    assert.match(refused.stdout, /could not revert \(FIREBREAK_E_SECRET\).*secret "token" cannot be read again \(environment variable FB_TEST_TOKEN is not set\)/);
    assert.ok(existsSync(flag), 'not reverted with a wrong value');
    const r = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(readFileSync(seen, 'utf8').trim(), 'real-token-4711');
    assert.equal(existsSync(flag), false);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
  });
});
