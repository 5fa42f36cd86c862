import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Journal } from '../../src/engine/journal.js';
import { renderHtml, REPORT_CSP } from '../../src/report/html.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { modelOf, realJournal } from './fixture.js';

const CHROMIUM = process.env.FIREBREAK_CHROMIUM ?? '/usr/bin/chromium';

/*
 * The HTML report in a real headless Chromium (Debian's, driven by playwright-core): no console error,
 * no request beyond the file itself, a chart per golden signal, and a PDF. A screenshot is kept in
 * artifacts/ for the CI run.
 */
describe('HTML report in a real browser', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let journal: Journal;
  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.FIREBREAK_REQUIRE_CHROMIUM === '1') throw new Error(`Chromium is required (FIREBREAK_REQUIRE_CHROMIUM=1) but ${CHROMIUM} does not exist`);
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`);
      this.skip();
    }
    tmp = tempDir();
    journal = await realJournal(tmp.dir);
  });
  after(() => tmp?.cleanup());

  it('renders with no console error and no network request, one chart per golden signal, escaped text, and prints to PDF', async () => {
    const { chromium } = await import('playwright-core');
    const file = join(tmp.dir, 'report.html');
    writeFileSync(file, renderHtml(modelOf(journal)));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [pathToFileURL(file).href], 'nothing but the file itself');
      assert.equal(await page.locator('script').count(), 0, 'no script, not even from a title');
      assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'), REPORT_CSP);
      // The real journal's experiment (and its deviated copy): latency, traffic, errors of shop;
      // saturation of host (host measures no requests, so it has no latency, traffic or error chart).
      const signals = await page.locator('svg.chart').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-probe')}/${e.getAttribute('data-signal')}`));
      const one = ['shop/latency', 'shop/traffic', 'shop/errors', 'host/saturation'];
      assert.deepEqual([...signals].sort(), [...one, ...one].sort(), `charts: ${signals.join(', ')}`);
      assert.equal(await page.locator('svg.chart path[stroke]').count() > 0, true, 'lines drawn');
      assert.ok((await page.locator('h2').first().textContent())!.includes('<script>alert(1)</script>'), 'a title shows as the text it is');
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
      assert.ok(pdf.length > 10_000, `a PDF of ${pdf.length} bytes`);
      const artifacts = process.env.FIREBREAK_ARTIFACTS ?? join(ROOT, 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
      writeFileSync(join(artifacts, 'report.pdf'), pdf);
    } finally {
      await browser.close();
    }
  });
});
