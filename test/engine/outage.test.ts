import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/index.js';
import { defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import { RunEvents } from '../../src/engine/events.js';
import { recoverLedger } from '../../src/engine/recover.js';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { tempDir } from '../helpers/cli.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';

describe('a driver outage during a run', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let target: TargetServer;
  beforeEach(async () => {
    tmp = tempDir();
    target = await startTarget(() => ({ status: 200 }));
  });
  afterEach(async () => {
    await target.close();
    tmp.cleanup();
  });

  it('the revert fails while the proxy is down, the fault stays in the ledger, and recover finishes it once the proxy is back', async () => {
    const config = [{ name: 'payments', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}` }];
    let proxy: ProxyServer = await startProxyServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), proxies: config });
    const port = proxy.port;
    const ledgerPath = join(tmp.dir, 'ledger.jsonl');
    const events = new RunEvents();
    events.onEvent('fault-applied', () => void proxy.close()); // the proxy goes away while the fault is live
    const e = defineExperiment({
      title: 'outage', target: { proxy: { url: proxy.url } },
      phases: { before: '100ms', during: '500ms', after: '100ms', tick: '100ms', callTimeout: '1s' },
      faults: [{ type: 'proxy.latency', proxy: 'payments', latency: '200ms' }],
    });
    const result = await runExperiment(e, { ledgerPath, events });
    assert.equal(result.status, 'failed');
    assert.ok(result.journal.errors.some((x) => x.code === 'FIREBREAK_E_REVERT'), JSON.stringify(result.journal.errors));
    assert.equal(result.journal.faults[0]!.revertAttempts, 3);
    assert.equal(openFaultsOf(Ledger.readEntries(ledgerPath)).length, 1);

    // Still down: recover reports it and keeps it.
    const down = await recoverLedger({ ledgerPath, timeoutMs: 1000 });
    assert.equal(down.remaining.length, 1);
    assert.equal(openFaultsOf(Ledger.readEntries(ledgerPath)).length, 1);

    // Back (same address, state lost with the process): the toxic is gone, which recover counts as reverted.
    proxy = await startProxyServer({ host: '127.0.0.1', port, logger: silentLogger(), proxies: config });
    try {
      const up = await recoverLedger({ ledgerPath, timeoutMs: 2000 });
      assert.equal(up.reverted, 1, JSON.stringify(up.items));
      assert.deepEqual(openFaultsOf(Ledger.readEntries(ledgerPath)), []);
    } finally {
      await proxy.close();
    }
  });
});
