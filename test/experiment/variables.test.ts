import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startTarget } from '../helpers/http-target.js';

describe('variables and secrets', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  const experiment = (dir: string) => {
    const file = join(dir, 'vars.yaml');
    writeFileSync(file, [
      'title: Variables',
      'configuration:',
      '  port: 9',
      '  greeting: from-configuration',
      '  rate: 5',
      'hypothesis:',
      '  probes:',
      '    - { name: web, type: http, url: "http://127.0.0.1:${port}/x", headers: { x-greeting: "${greeting}", x-home: "${env:FB_TEST_HOME}" } }',
      'faults: []',
      '',
    ].join('\n'));
    return file;
  };

  it('takes --var over --var-file over configuration, and ${env:NAME} from the environment', () => {
    const file = experiment(tmp.dir);
    const varFile = join(tmp.dir, 'vars.env');
    writeFileSync(varFile, 'greeting=from-file\nport=81\n');
    const loaded = loadExperimentFile(file, { vars: { port: '8080' }, varFiles: [varFile], env: { FB_TEST_HOME: '/home/x' } });
    assert.deepEqual(loaded.issues, []);
    const raw = loaded.experiment!.hypothesis.probes[0]!.raw as { url: string; headers: Record<string, string> };
    assert.equal(raw.url, 'http://127.0.0.1:8080/x');
    assert.equal(raw.headers['x-greeting'], 'from-file');
    assert.equal(raw.headers['x-home'], '/home/x');
  });

  it('a variable file may be YAML; a whole-string reference keeps its type', () => {
    const file = join(tmp.dir, 'typed.yaml');
    writeFileSync(file, 'title: Typed\nconfiguration: { tick: 250 }\nphases: { tick: "${tick}" }\n');
    const loaded = loadExperimentFile(file, { env: {} });
    assert.deepEqual(loaded.issues, []);
    assert.equal(loaded.experiment!.phases.tick, 250);
  });

  it('a secret never appears in the journal, the logs or the output', async () => {
    const seen: string[] = [];
    const target = await startTarget((req) => {
      seen.push(String(req.headers.authorization));
      return { status: 200, body: 'ok' };
    });
    try {
      const secret = 's3cr3t-token-value-42';
      const file = join(tmp.dir, 'secret.yaml');
      writeFileSync(file, [
        'title: Secret',
        'secrets:',
        '  token: { env: FB_TEST_TOKEN }',
        'phases: { before: 100ms, during: 300ms, after: 100ms, tick: 100ms }',
        'hypothesis:',
        '  probes:',
        `    - { name: api, type: http, url: "${target.url}/?t=\${token}", headers: { authorization: "Bearer \${token}" } }`,
        '    - { name: shell, type: process, command: "echo token is ${token}" }',
        '  tolerances: [ "api.status == 200", "shell.stdout contains \\"token\\"" ]',
        'faults:',
        '  - { type: process, apply: "echo ${token} >/dev/null", revert: "true" }',
        '',
      ].join('\n'));
      const journal = join(tmp.dir, 'journal.json');
      const r = await runCli(['--log-level', 'trace', '--ledger', join(tmp.dir, 'l.jsonl'), 'run', file, '--journal', journal], { env: { FB_TEST_TOKEN: secret }, cwd: tmp.dir });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(seen.includes(`Bearer ${secret}`), 'the secret reached the system under test');
      const text = readFileSync(journal, 'utf8');
      assert.ok(!text.includes(secret), 'journal holds the secret');
      assert.ok(text.includes('***'), 'the journal shows where it was');
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'output holds the secret');
      assert.ok(r.stderr.includes('"level":"debug"') || r.stderr.includes('"level":"info"') || r.stderr.length > 0, 'logs were written');
      assert.ok(!readFileSync(join(tmp.dir, 'l.jsonl'), 'utf8').includes(secret), 'ledger holds the secret');
    } finally {
      await target.close();
    }
  });

  it('a secret without a value is a validation error naming it', () => {
    const file = join(tmp.dir, 'nosecret.yaml');
    writeFileSync(file, 'title: No secret\nsecrets:\n  token: { env: FB_TEST_MISSING }\n');
    const loaded = loadExperimentFile(file, { env: {} });
    assert.equal(loaded.issues[0]?.path, 'secrets.token');
    assert.match(loaded.issues[0]!.message, /has no value/);
    assert.equal(loaded.issues[0]!.line, 3);
  });
});
