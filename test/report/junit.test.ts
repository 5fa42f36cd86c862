import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse } from 'junit2json';
import { renderJunit } from '../../src/report/junit.js';
import type { Journal } from '../../src/engine/journal.js';
import { ROOT } from '../helpers/cli.js';
import { modelOf, NASTY, useRealJournal } from './fixture.js';

describe('JUnit report', function () {
  this.timeout(60_000);
  const real = useRealJournal();
  let journal: Journal;
  before(() => (journal = real()));

  it('validates against schema/junit.xsd with xmllint, an independent validator', function () {
    const file = join(tmpdir(), `firebreak-junit-${process.pid}.xml`);
    writeFileSync(file, renderJunit(modelOf(journal)));
    let xmllint = true;
    try {
      execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    } catch {
      xmllint = false;
    }
    if (!xmllint) {
      if (process.env.FIREBREAK_REQUIRE_XMLLINT === '1') assert.fail('xmllint is required (FIREBREAK_REQUIRE_XMLLINT=1) but not installed');
      console.log('      (skipped: xmllint is not installed; apt-get install libxml2-utils)');
      return this.skip();
    }
    const out = execFileSync('xmllint', ['--noout', '--schema', join(ROOT, 'schema', 'junit.xsd'), file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(out, '');
  });

  it('is read by junit2json (an independent JUnit parser): one testcase per experiment, failure, error and skipped as their gates say', async () => {
    const xml = renderJunit(modelOf(journal));
    const parsed = (await parse(xml)) as { tests: number; failures: number; errors: number; skipped: number; testsuite: { name: string; testcase: { name: string; failure?: { message: string; inner: string }[]; error?: unknown[]; skipped?: unknown[] }[] }[] };
    assert.deepEqual([parsed.tests, parsed.failures, parsed.errors, parsed.skipped], [4, 1, 1, 1]);
    const cases = parsed.testsuite[0]!.testcase;
    assert.equal(cases.length, 4);
    assert.equal(cases[0]!.failure, undefined);
    assert.match(cases[1]!.failure![0]!.message, /deviated: expected held/);
    assert.match(cases[1]!.failure![0]!.inner, /FAIL \[during\/canary\] shop.errors.rate < 1%/);
    assert.ok(cases[2]!.error);
    assert.ok(cases[3]!.skipped);
  });

  it('escapes markup and strips what XML 1.0 forbids, keeping the rest of the text', async () => {
    const xml = renderJunit(modelOf(journal));
    assert.ok(!/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml), 'no illegal control characters');
    assert.ok(!xml.includes('<script>'), 'markup escaped');
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(xml), 'no lone surrogate');
    const parsed = (await parse(xml)) as { testsuite: { testcase: { name: string }[] }[] };
    assert.equal(parsed.testsuite[0]!.testcase[1]!.name, NASTY.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace('\ud800', ''));
  });
});
