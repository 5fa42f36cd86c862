import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { decided } from '../helpers/decided.js';
import { freePort } from '../helpers/docker.js';
import { startDependency, startService } from '../verdicts/system.js';

describe('the README walkthrough: experiments/first-experiment.yaml against a service of "your own"', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  async function runAgainst(opts: { fallback: boolean; forward: boolean }): Promise<{ code: number | null; journal: any; stderr: string }> {
    const payments = await startDependency();
    const viaProxy = `127.0.0.1:${await freePort()}`;
    const checkout = await startService(`http://${viaProxy}`, { timeoutMs: 150, ...opts });
    try {
      const r = await runCli([
        '--ledger', join(tmp.dir, 'ledger.jsonl'), 'run', join(ROOT, 'experiments', 'first-experiment.yaml'), '--json',
        '--var', `checkout_url=${checkout.url}`, '--var', `payments=127.0.0.1:${payments.port}`, '--var', `payments_via_proxy=${viaProxy}`,
      ], { cwd: tmp.dir, timeoutMs: 170_000 });
      return { code: r.code, journal: JSON.parse(r.stdout), stderr: r.stderr };
    } finally {
      await checkout.close();
      await payments.close();
    }
  }

  it('a checkout that times out, falls back and passes x-user-id on: held, with the fault reaching about 10% of users', async () => {
    const r = await decided(() => runAgainst({ fallback: true, forward: true }), (x) => x.journal.verdict.status, (x) => x.journal.verdict.reason);
    assert.equal(r.code, 0, `${r.journal.verdict.reason}\n${r.stderr.slice(-2000)}`);
    assert.equal(r.journal.verdict.status, 'held');
    const plan = JSON.stringify(r.journal.plan);
    assert.match(plan, /checkout-slow-payments/, 'the proxy runs in cohort mode with the experiment salt');
  });
});
