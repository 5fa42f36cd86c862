import { strict as assert } from 'node:assert';
import { colorWanted, toAscii, unicodeWanted, visibleWidth, wrapLine } from '../../src/report/terminal.js';

describe('what the terminal can show', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('colour: NO_COLOR wins, FORCE_COLOR forces, else a TTY that is not dumb', () => {
    const cases: [string, { isTTY: boolean }, Record<string, string>, boolean][] = [
      ['a TTY', tty, { TERM: 'xterm' }, true],
      ['a pipe', pipe, { TERM: 'xterm' }, false],
      ['NO_COLOR on a TTY', tty, { NO_COLOR: '1' }, false],
      ['NO_COLOR beats FORCE_COLOR', tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
      ['FORCE_COLOR on a pipe', pipe, { FORCE_COLOR: '1' }, true],
      ['FORCE_COLOR=0 on a TTY', tty, { FORCE_COLOR: '0' }, false],
      ['TERM=dumb', tty, { TERM: 'dumb' }, false],
      ['an empty NO_COLOR is unset', tty, { NO_COLOR: '' }, true],
    ];
    for (const [what, out, env, want] of cases) assert.equal(colorWanted(out, env), want, what);
  });

  it('Unicode: not with FIREBREAK_ASCII=1, TERM=dumb or a locale that is not UTF-8 (LC_ALL, then LC_CTYPE, then LANG)', () => {
    const cases: [Record<string, string>, boolean][] = [
      [{ LANG: 'en_US.UTF-8' }, true],
      [{ LANG: 'C.utf8' }, true],
      [{ LANG: 'C' }, false],
      [{ LANG: 'en_US.ISO-8859-1' }, false],
      [{ LANG: 'en_US.UTF-8', LC_ALL: 'POSIX' }, false],
      [{ LANG: 'C', LC_CTYPE: 'en_US.UTF-8' }, true],
      [{ LANG: 'en_US.UTF-8', TERM: 'dumb' }, false],
      [{ LANG: 'en_US.UTF-8', FIREBREAK_ASCII: '1' }, false],
      [{ LANG: 'en_US.UTF-8', FIREBREAK_ASCII: '0' }, true],
    ];
    for (const [env, want] of cases) assert.equal(unicodeWanted(env), want, JSON.stringify(env));
  });

  it('ASCII stand-ins for glyphs, accents dropped, anything else a question mark', () => {
    assert.equal(toAscii('✔ ok ✖ no → next … ± µs ↺ ■ ▶ ·'), '+ ok x no -> next ... +/- us < # > -');
    assert.equal(toAscii('Café crème'), 'Cafe creme');
    assert.equal(toAscii('┌─┐│ ⠋'), '+-+| *');
    assert.equal(toAscii('日本'), '??');
  });

  it('wraps between words with an indent, cuts only a word longer than the line', () => {
    assert.deepEqual(wrapLine('  short', 50), ['  short']);
    const lines = wrapLine('  applied latency 300ms on payments-7d9f8c6b5-x2x9q-with-a-very-long-name-indeed now', 30);
    for (const l of lines) assert.ok(visibleWidth(l) <= 30, l);
    assert.equal(lines.join('').replace(/ /g, ''), 'appliedlatency300msonpayments-7d9f8c6b5-x2x9q-with-a-very-long-name-indeednow', 'nothing lost');
    assert.deepEqual(lines.slice(0, 2), ['  applied latency 300ms on', '    payments-7d9f8c6b5-x2x9q-w']);
    assert.match(lines[1]!, /^ {4}\S/);
    assert.deepEqual(wrapLine('x'.repeat(12), 5), ['xxxxx', ' xxxx', ' xxx']);
    assert.equal(visibleWidth('\x1b[31m日本\x1b[0m'), 4, 'escape codes take no columns, wide characters two');
  });
});
