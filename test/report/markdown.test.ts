import { strict as assert } from 'node:assert';
import { marked, type Tokens } from 'marked';
import type { Journal } from '../../src/engine/journal.js';
import { MARKDOWN_LIMITS, renderMarkdown } from '../../src/report/markdown.js';
import { modelOf, useRealJournal } from './fixture.js';

function tables(md: string): Tokens.Table[] {
  return marked.lexer(md, { gfm: true }).filter((t): t is Tokens.Table => t.type === 'table');
}

describe('Markdown report (GitHub Flavored)', function () {
  this.timeout(60_000);
  const real = useRealJournal();
  let journal: Journal;
  before(() => (journal = real()));

  it('parses as GFM: one verdict table with a row per experiment, and each miss in a details block', () => {
    const md = renderMarkdown(modelOf(journal));
    const [table, ...rest] = tables(md);
    assert.equal(rest.length, 0);
    assert.deepEqual(table!.header.map((h) => h.text), ['', 'experiment', 'verdict', 'expected', 'why']);
    assert.equal(table!.rows.length, 4, 'pipes in a title did not break the table');
    // The real run's own verdict first (held on a quiet machine), then the made-up ones.
    assert.deepEqual(table!.rows.map((r) => r[2]!.text), [journal.verdict.status, 'deviated', 'failed', 'inconclusive']);
    assert.equal((md.match(/<details>/g) ?? []).length, 4, 'three misses, then the pass');
    const html = marked.parse(md, { gfm: true }) as string;
    assert.ok(!/<script/i.test(html), 'nothing that renders as a script');
  });

  it('stays within the comment cap without losing a failure: every failing row and its verdict line remain', () => {
    const extra = Array.from({ length: 400 }, () => ({ journal, reason: 'x'.repeat(2000) }));
    const md = renderMarkdown(modelOf(journal, extra), { maxBytes: MARKDOWN_LIMITS.comment });
    assert.ok(Buffer.byteLength(md) <= MARKDOWN_LIMITS.comment, `${Buffer.byteLength(md)} bytes`);
    const rows = tables(md)[0]!.rows;
    const failing = rows.filter((r) => r[0]!.text.includes('❌'));
    assert.equal(failing.length, 401, 'all 401 failures are listed in the table');
    assert.ok(!md.includes('cut to'), 'nothing cut off');
    assert.match(md, /\d+ more experiment\(s\)' evidence did not fit in 60000 bytes: their journals hold it/);
    assert.match(md, /<summary>❌ checkout &lt;script&gt;.*: deviated \(expected held\)<\/summary>/, 'the first failure keeps its details');
  });

  it('the step-summary cap keeps the passes\' details when they fit', () => {
    const md = renderMarkdown(modelOf(journal), { maxBytes: MARKDOWN_LIMITS.summary });
    assert.ok(md.includes(`Report fixture: slow canary: ${journal.verdict.status}`));
  });
});
