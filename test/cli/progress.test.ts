import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnTty, SGR, ttyExperiment } from '../helpers/tty.js';

// eslint-disable-next-line no-control-regex
const CSI_ALL = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The lines a person sees (cursor moves and colours taken out), each with its width in columns. */
const screenLines = (raw: string): string[] => raw.replace(CSI_ALL, '').split('\n').map((l) => l.replace(/\r/g, '')).filter((l) => l.trim() !== '');
const widest = (lines: string[]): number => Math.max(...lines.map((l) => [...l].length));

describe('CLI live progress on a real terminal', function () {
  this.timeout(120_000);
  // A long title, a fault whose description is a long command, a probe whose value is long: each makes a progress line wider than 50 columns.
  const exp = ttyExperiment('narrow.yaml', [
    'title: Checkout keeps answering while the payments service is slow → fallback',
    'phases: { before: 200ms, during: 600ms, after: 200ms, tick: 100ms }',
    'hypothesis:',
    '  probes: [ { name: health, type: process, command: "echo the-checkout-service-answered-with-a-rather-long-status-line" } ]',
    'faults: [ { type: process, apply: "true --slow-down-payments-by-300ms", revert: "true --and-back" } ]',
  ]);
  const summary = (): string => readFileSync(join(exp.dir(), 'summary.txt'), 'utf8');
  const run = (columns: number, env: Record<string, string> = {}): ReturnType<typeof runOnTty> =>
    runOnTty(['--ledger', join(exp.dir(), 'l.jsonl'), 'run', exp.file(), '--journal', join(exp.dir(), 'journals/')], { columns, env, stdoutFile: join(exp.dir(), 'summary.txt') });

  it('50 columns: every progress line fits, long ones wrapped between words, nothing lost', async () => {
    const wide = await run(200);
    assert.equal(wide.code, 0, wide.stdout);
    assert.ok(widest(screenLines(wide.stdout)) > 50, `at 200 columns some line is wider than 50: ${wide.stdout}`);
    const narrow = await run(50);
    assert.equal(narrow.code, 0, narrow.stdout);
    const lines = screenLines(narrow.stdout);
    for (const l of lines) assert.ok([...l].length <= 50, `${JSON.stringify(l)} is ${[...l].length} columns`);
    const text = lines.map((l) => l.trim()).join(' ');
    for (const part of ['Checkout keeps answering', 'fallback', '--slow-down-payments-by-300ms', 'reverted', 'health:']) {
      assert.ok(text.includes(part), `${part} is shown: ${narrow.stdout}`);
    }
    assert.match(narrow.stdout, /during \d+ms \/ 600ms, \d+ms left/, 'the status block is drawn');
    assert.match(summary(), /HELD \(exit 0\)/);
  });

  it('NO_COLOR: no colour code on the terminal; without it the display is coloured', async () => {
    const coloured = await run(80);
    assert.equal(coloured.code, 0, coloured.stdout);
    assert.match(coloured.raw, SGR);
    const plain = await run(80, { NO_COLOR: '1' });
    assert.equal(plain.code, 0, plain.stdout);
    assert.doesNotMatch(plain.raw, SGR);
    assert.match(plain.stdout, /reverted run "true --slow-down-payments-by-300ms"/);
  });

  it('FIREBREAK_ASCII=1 at 50 columns: ASCII glyphs only, every line still fits', async () => {
    const unicode = await run(50);
    assert.match(unicode.raw, /[▶↯↺→]/u, 'Unicode glyphs by default under a UTF-8 locale');
    const ascii = await run(50, { FIREBREAK_ASCII: '1' });
    assert.equal(ascii.code, 0, ascii.stdout);
    assert.deepEqual([...Buffer.from(ascii.raw, 'utf8')].filter((b) => b >= 0x80), [], ascii.stdout);
    const lines = screenLines(ascii.stdout);
    for (const l of lines) assert.ok(l.length <= 50, `${JSON.stringify(l)} is ${l.length} columns`);
    assert.match(lines.join('\n'), /^> Checkout/m, 'the start glyph as ">"');
    assert.match(lines.map((l) => l.trim()).join(' '), /-> fallback/);
    assert.match(summary(), /^Checkout keeps answering .* -> fallback: HELD/m, 'the summary too');
  });
});
