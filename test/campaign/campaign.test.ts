import { strict as assert } from 'node:assert';
import { SHORT, runCampaign, type CampaignReport } from '../../bench/campaign/run.js';

// The short form of the reliability campaign (bench/campaign.ts runs the long form): real kills of
// real runs with recover after each, the ledger on full and read-only tmpfs mounts, and fuzzing of
// the loader and of a real `firebreak proxy` process. Every number below must be zero.
describe('the reliability campaign, short form', function () {
  this.timeout(240_000);
  let report: CampaignReport;
  before(async function () {
    this.timeout(240_000);
    report = await runCampaign(SHORT, (line) => {
      if (/LEFT|skipp|no Docker/.test(line)) console.log(`      ${line}`);
    });
  });

  it('kills at random moments (SIGKILL then recover; SIGINT, SIGTERM, SIGHUP) leave no fault behind', () => {
    const k = report.kills;
    assert.equal(k.tried, SHORT.sigkills + 3 * SHORT.perSignal);
    assert.equal(k.faultsLeft, 0, JSON.stringify(k.failures, null, 2));
    assert.equal(k.badInterrupts, 0, 'every handled signal exits 130 with an interrupted journal');
    assert.equal(k.slowReverts, 0, `reverts within 2 s of the signal (slowest ${k.maxRevertMs} ms)`);
  });

  it('the ledger on a full or read-only file system: refused cleanly, every fault reverted', function () {
    if (report.disk.skipped) {
      if (process.env.FIREBREAK_REQUIRE_TMPFS === '1') throw new Error(`FIREBREAK_REQUIRE_TMPFS=1 but ${report.disk.skipped}`);
      console.log(`      skipping the disk scenarios: ${report.disk.skipped} (needs root; FIREBREAK_REQUIRE_TMPFS=1 fails instead)`);
      this.skip();
    }
    assert.ok(report.disk.scenarios >= 4);
    assert.equal(report.disk.passed, report.disk.scenarios, JSON.stringify(report.disk.outcomes, null, 2));
    assert.equal(report.disk.faultsLeft, 0);
  });

  it('fuzzing the loader and the proxy finds no crash, no hang, no unpositioned error', () => {
    const { loader, proxy } = report.fuzz;
    assert.equal(loader.cases, SHORT.loaderCases);
    assert.deepEqual([loader.crashes, loader.hangs, loader.unpositioned], [0, 0, 0], JSON.stringify(loader.failures, null, 2));
    assert.equal(proxy.requests, SHORT.proxyRequests);
    assert.deepEqual([proxy.crashes, proxy.hangs, proxy.serverErrors], [0, 0, 0], JSON.stringify(proxy.failures, null, 2));
  });
});
