import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, EXIT } from '../src/errors.js';
import { CAUSES } from '../src/util/cause.js';
import { ROOT } from './helpers/cli.js';
import * as child from 'node:child_process';

describe('the error catalogue', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `(FIREBREAK_E_\w+)` \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const);

  it('docs/errors.md lists every code with its exit code, and no other', () => {
    assert.deepEqual(Object.fromEntries(rows), Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.exit])));
  });

  it('each code\'s "what to do" is the hint printed after its message', () => {
    const hints = Object.fromEntries([...doc.matchAll(/^\| `(FIREBREAK_E_\w+)` \| \d+ \| .*? \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(hints, Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.hint])));
  });

  it('the causes table lists every cause with its meaning and hint, and no other', () => {
    const causes = Object.fromEntries([...doc.matchAll(/^\| `(E[A-Z_]+|TLS)` \| (.*?) \| (.*) \|$/gm)].map((m) => [m[1]!, { means: m[2]!, hint: m[3]! }]));
    assert.deepEqual(causes, CAUSES);
  });

  it('the exit code table matches the CLI contract', () => {
    for (const [name, code] of Object.entries(EXIT)) {
      assert.match(doc, new RegExp(`^\\| ${code} \\|`, 'm'), `exit ${code} (${name}) is documented`);
    }
  });

  it('the source uses no code outside the catalogue', () => {
    const { execFileSync } = child;
    const used = execFileSync('grep', ['-rhoE', "'FIREBREAK_E_[A-Z_]+'", join(ROOT, 'src')], { encoding: 'utf8' }) as string;
    for (const code of new Set(used.split('\n').filter(Boolean).map((s: string) => s.replace(/'/g, '')))) {
      assert.ok(code in ERRORS, `${code} is used but not catalogued`);
    }
  });
});

