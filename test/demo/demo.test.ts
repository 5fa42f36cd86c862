import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';

describe('the embedded demo (npm start)', function () {
  this.timeout(240_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => tmp.cleanup());

  it('prints held, deviated and aborted with their evidence, writes the journals and exits 0', async () => {
    const t0 = Date.now();
    const r = await runCli(['demo', '--out', join(tmp.dir, 'demo')], { cwd: tmp.dir, timeoutMs: 200_000 });
    const elapsed = Date.now() - t0;
    assert.equal(r.code, 0, r.stdout + r.stderr.slice(-3000));
    assert.ok(elapsed < 120_000, `the demo took ${elapsed} ms`);
    assert.match(r.stdout, /Slow recommendations are absorbed by the fallback\s+held/);
    assert.match(r.stdout, /Failing payments break canary checkouts\s+deviated/);
    assert.match(r.stdout, /Stalled payments trip the stop condition\s+aborted/);
    assert.match(r.stdout, /all 3 verdicts as expected/);

    const deviated = JSON.parse(readFileSync(join(tmp.dir, 'demo', 'demo-payments-errors.json'), 'utf8'));
    const failing = deviated.verdict.evidence.filter((e: { outcome: string }) => e.outcome === 'fail');
    assert.ok(failing.some((e: { check: string; test?: string }) => e.check.startsWith('shop.errors.rate canary') && e.test === 'error-rate ratio (binomial split) and difference (MOVER)'), JSON.stringify(deviated.verdict));

    const aborted = JSON.parse(readFileSync(join(tmp.dir, 'demo', 'demo-payments-stall.json'), 'utf8'));
    const fault = aborted.faults[0];
    const trippedAt = Date.parse(aborted.aborted.at);
    assert.ok(Date.parse(fault.revertedAt) - trippedAt <= 2000, 'reverted within two ticks of the trip');
    assert.ok(existsSync(join(tmp.dir, 'demo', 'demo-recommendations-latency.json')));
    assert.match(r.stdout, /report: .*demo\/report\.html \(open it in a browser/);
    assert.match(readFileSync(join(tmp.dir, 'demo', 'report.html'), 'utf8'), /<svg class="chart" data-probe="shop" data-signal="latency"/);
    assert.match(r.stdout, /resilience: 1\/3 held \(0\.50\), coverage 3\/3/);
  });
});
