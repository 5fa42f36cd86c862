import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSource } from '../../src/experiment/document.js';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { runCli, tempDir } from '../helpers/cli.js';

const BOMB = [
  'title: &t lol',
  'a: &a [*t, *t, *t, *t, *t, *t, *t, *t, *t]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  '',
].join('\n');

describe('reading experiment files that are hostile or odd', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('an alias bomb is a positioned error (exit 64), not a stack trace', async () => {
    const file = join(tmp.dir, 'bomb.yaml');
    writeFileSync(file, BOMB);
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /bomb\.yaml:2:\d+: \(root\): aliases expand the document to more than 100000 values/);
    assert.doesNotMatch(r.stdout + r.stderr, /    at /);
  });

  it('an ordinary file reusing one anchor 100 times loads', () => {
    const lines = ['title: Reuse', 'configuration:', '  base: &base { url: "http://127.0.0.1:1", method: GET, headers: { a: "1", b: "2" } }'];
    for (let i = 0; i < 100; i++) lines.push(`  copy${i}: *base`);
    const file = join(tmp.dir, 'reuse.yaml');
    writeFileSync(file, lines.join('\n') + '\n');
    const loaded = loadExperimentFile(file);
    assert.deepEqual(loaded.issues, []);
    assert.equal((loaded.experiment!.configuration.copy99 as { method: string }).method, 'GET');
  });

  it('a self-referencing alias and an undefined alias are positioned errors', () => {
    const cycle = parseSource('title: x\na: &a [1, *a]\n', 'c.yaml');
    assert.match(cycle.syntaxIssues[0]?.message ?? '', /alias \*a refers to a node that contains it/);
    assert.deepEqual([cycle.syntaxIssues[0]?.line, cycle.syntaxIssues[0]?.column], [2, 11]);
    const undef = parseSource('title: x\nb: *nope\n', 'u.yaml');
    assert.match(undef.syntaxIssues[0]?.message ?? '', /alias \*nope refers to no anchor/);
    assert.equal(undef.syntaxIssues[0]?.line, 2);
  });

  it('nesting too deep, binary bytes and a device file are errors with a position, never a crash or a hang', () => {
    const deep = parseSource(`title: x\nd: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'deep.yaml');
    assert.ok(deep.syntaxIssues.length > 0 && deep.syntaxIssues[0]!.line !== undefined);
    const binary = parseSource(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b, 0x5b, 0x3a, 0x0a]).toString('utf8'), 'bin.yaml');
    assert.ok(binary.syntaxIssues.length > 0 || binary.data !== undefined);
    const started = Date.now();
    const dev = loadExperimentFile('/dev/zero');
    assert.match(dev.issues[0]?.message ?? '', /not a regular file/);
    assert.equal(dev.issues[0]?.line, 1);
    assert.ok(Date.now() - started < 1000);
  });

  it('durations longer than a timer can wait are refused at validation', () => {
    const file = join(tmp.dir, 'long.yaml');
    writeFileSync(file, 'title: Long\nfaults:\n  - { type: process, apply: "true", revert: "true", timeout: 600h }\n');
    const fault = loadExperimentFile(file).issues.map((i) => `${i.line}: ${i.path}: ${i.message}`);
    assert.ok(fault.some((m) => /^3: faults\[0\]\.timeout: is longer than the longest timer/.test(m)), fault.join('\n'));
    writeFileSync(file, 'title: Long\nphases: { during: 600h }\nfaults:\n  - { type: process, apply: "true", revert: "true" }\n');
    const phase = loadExperimentFile(file).issues.map((i) => `${i.line}: ${i.path}: ${i.message}`);
    assert.ok(phase.some((m) => /^2: phases\.during: is longer than the longest timer/.test(m)), phase.join('\n'));
  });
});
