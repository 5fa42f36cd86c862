import { strict as assert } from 'node:assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../../src/engine/ledger.js';
import { runCli, startCli, tempDir, waitCli, waitFor } from '../../helpers/cli.js';
import { useDockerTestbed } from '../../helpers/docker.js';

describe('two runs on different ledgers never stack faults on one container (real engine)', function () {
  this.timeout(90_000);
  const bed = useDockerTestbed();
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  const cpuExperiment = (name: string, label: string, cpus: string): string => {
    const file = join(tmp.dir, `${name}.yaml`);
    writeFileSync(file, [
      `title: CPU squeeze ${name}`,
      'cohort:',
      `  targets: { driver: docker, selector: { labels: { app: ${label} } }, mode: all }`,
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      `  - { type: docker.cpu, cpus: ${cpus} }`,
      '',
    ].join('\n'));
    return file;
  };

  it('the second run is refused (FIREBREAK_E_TARGET_BUSY, nothing applied) while the first holds, and after a kill -9 until it is recovered', async () => {
    const label = `fb-claims-${bed.runId}`;
    const c = await bed.run({ name: 'squeezed', cmd: ['sleep', '600'], labels: { app: label } });
    const env = { FIREBREAK_STATE_DIR: join(tmp.dir, 'state') };
    const ledgerA = join(tmp.dir, 'a.jsonl');
    const ledgerB = join(tmp.dir, 'b.jsonl');
    const a = startCli(['--ledger', ledgerA, 'run', cpuExperiment('a', label, '0.5')], { cwd: tmp.dir, env });
    await waitFor('A applied', () => Ledger.readEntries(ledgerA).some((e) => e.event === 'applied'), 30_000);
    const squeezed = (await bed.inspect(c.id)).HostConfig;
    assert.equal(squeezed.CpuQuota, 50_000);

    const b = await runCli(['--ledger', ledgerB, 'run', cpuExperiment('b', label, '0.25')], { cwd: tmp.dir, env });
    assert.equal(b.code, 4, b.stdout + b.stderr);
    assert.match(b.stdout + b.stderr, /FIREBREAK_E_TARGET_BUSY|is claimed by run/);
    assert.equal((await bed.inspect(c.id)).HostConfig.CpuQuota, 50_000, 'B changed nothing');
    assert.ok(!Ledger.readEntries(ledgerB).some((e) => e.event === 'intent'), 'B ledgered no intent');

    a.kill('SIGKILL');
    await waitCli(a, 10_000);
    const again = await runCli(['--ledger', ledgerB, 'run', cpuExperiment('b', label, '0.25')], { cwd: tmp.dir, env });
    assert.equal(again.code, 4);
    assert.match(again.stdout + again.stderr, /ended without reverting it: run `firebreak --ledger .*a\.jsonl recover` first/);

    const rec = await runCli(['--ledger', ledgerA, 'recover'], { cwd: tmp.dir, env });
    assert.equal(rec.code, 0, rec.stdout + rec.stderr);
    const restored = (await bed.inspect(c.id)).HostConfig;
    assert.ok((restored.CpuQuota ?? 0) <= 0, `A's squeeze is gone: quota ${restored.CpuQuota}`);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledgerA)), []);

    const bRun = startCli(['--ledger', ledgerB, 'run', cpuExperiment('b', label, '0.25')], { cwd: tmp.dir, env });
    await waitFor('B applied', () => Ledger.readEntries(ledgerB).some((e) => e.event === 'applied'), 30_000);
    const intent = Ledger.readEntries(ledgerB).find((e) => e.event === 'intent')!;
    assert.ok(((intent.state as { original: { cpuQuota: number } }).original.cpuQuota) <= 0, 'B recorded the real original, not A\'s squeeze');
    bRun.kill('SIGINT');
    assert.equal((await waitCli(bRun, 30_000)).code, 130);
    assert.ok(((await bed.inspect(c.id)).HostConfig.CpuQuota ?? 0) <= 0);
    assert.deepEqual(readdirSync(join(tmp.dir, 'state', 'claims', 'docker')), [], 'claims released after the revert');
  });
});
