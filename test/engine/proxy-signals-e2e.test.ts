import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { defineExperiment } from '../../src/experiment/loader.js';
import { runExperiment } from '../../src/engine/run.js';
import { tempDir } from '../helpers/cli.js';
import { startTarget, type TargetServer } from '../helpers/http-target.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/*
 * The whole path on real sockets: the experiment declares an embedded proxy in HTTP cohort mode in
 * front of a service, a load probe sends through it, the proxy's own per-cohort counters are read as
 * a passive signals probe, and a canary-only abort shows up in the proxy's signals and the verdict.
 */
describe('embedded proxy in cohort mode, measured passively by proxy.signals', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let service: TargetServer;
  before(async () => {
    tmp = tempDir();
    service = await startTarget(() => ({ status: 200, body: 'fine' }));
  });
  after(async () => {
    await service.close();
    tmp.cleanup();
  });

  it('the canary gets the fault, the proxy counts it per cohort, the verdict is deviated on errors', async () => {
    const port = await freePort();
    const salt = 'edge-e2e';
    const e = defineExperiment({
      title: 'edge errors',
      target: { proxy: { proxies: [{ name: 'edge', listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${service.port}`, cohort: { mode: 'http', key: 'header:x-user-id', canary: 0.3, control: 0.3, salt } }] } },
      cohort: { traffic: { canary: '30%', control: '30%', key: 'header:x-user-id', salt } },
      phases: { before: '1s', during: '3s', after: '1s', tick: '250ms' },
      hypothesis: {
        probes: [
          { name: 'client', type: 'load', url: `http://127.0.0.1:${port}/`, rate: 120, users: { count: 400 } },
          { name: 'edge', type: 'proxy.signals', proxy: 'edge' },
        ],
        tolerances: [{ check: 'edge.errors.rate canary <= 1.5x control', phases: ['during'] }, 'edge.errors.rate control < 1%'],
      },
      faults: [{ type: 'proxy.abort', proxy: 'edge', status: 503 }],
    });
    const result = await runExperiment(e, { ledgerPath: join(tmp.dir, 'ledger.jsonl') });
    assert.equal(result.status, 'deviated', result.journal.verdict.reason);
    const during = result.journal.phases.find((p) => p.phase === 'during')!;
    const edge = during.signals.edge!;
    const client = during.signals.client!;
    assert.ok(edge.canary!.traffic.count > 50, `canary requests seen by the proxy: ${edge.canary!.traffic.count}`);
    assert.ok(edge.canary!.errors.rate > 0.95, `every canary request was aborted: ${edge.canary!.errors.rate}`);
    assert.equal(edge.control!.errors.count, 0);
    assert.equal(edge.untouched!.errors.count, 0);
    // The load generator and the proxy hash users the same way: their per-cohort counts agree closely.
    const diff = Math.abs(edge.canary!.traffic.count - client.canary!.traffic.count);
    assert.ok(diff <= 0.1 * client.canary!.traffic.count + 5, `proxy ${edge.canary!.traffic.count} vs client ${client.canary!.traffic.count}`);
    // A request already in flight when the fault went in may complete fine: at most a couple.
    assert.ok(client.canary!.errors.count >= client.canary!.traffic.count - 2, 'the client saw the same errors');
    const ev = result.journal.verdict.evidence.find((x) => x.check.startsWith('edge.errors.rate canary'))!;
    assert.equal(ev.outcome, 'fail');
    assert.equal(ev.test, 'error-rate ratio (binomial split) and difference (MOVER)');
    const after = result.journal.phases.find((p) => p.phase === 'after')!.signals.edge!;
    assert.equal(after.canary!.errors.count, 0, 'the fault is gone after the revert');
  });
});
