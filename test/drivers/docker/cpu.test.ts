import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerCpu, type CpuAttrs } from '../../../src/drivers/docker/faults/cpu.js';
import { callContext, freePort, httpAnswers, throughJson, useDockerTestbed } from '../../helpers/docker.js';
import { parsed } from './fixtures.js';

const attrs = (raw: Record<string, unknown> = {}): CpuAttrs => parsed(dockerCpu, raw);

describe('docker.cpu against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();

  it('squeezes an unlimited container with a CFS quota, and a fresh connection lifts it again', async () => {
    const port = await freePort();
    const c = await bed.httpServer('cpu', port);
    const ctx = bed.faultContext();
    const state = await dockerCpu.prepare(ctx, attrs({ cpus: 0.25, shares: 256 }), await bed.target(c.id));
    assert.deepEqual(state.original, { nanoCpus: 0, cpuQuota: 0, cpuPeriod: 0, cpuShares: 0 });
    await dockerCpu.apply(ctx, state);

    const squeezed = (await bed.inspect(c.id)).HostConfig;
    assert.equal(squeezed.CpuQuota, 25_000);
    assert.equal(squeezed.CpuPeriod, 100_000);
    assert.equal(squeezed.CpuShares, 256);
    assert.equal((await dockerCpu.verify!(ctx, state)).ok, false);
    assert.equal(await httpAnswers(port), true, 'a quarter CPU still serves a page');

    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerCpu.revert(freshCtx, throughJson(state));
    const restored = (await bed.inspect(c.id)).HostConfig;
    // The engine cannot be told "0" again; -1 is the kernel's "no quota", 100000 and 1024 its defaults.
    assert.equal(restored.CpuQuota, -1);
    assert.equal(restored.CpuPeriod, 100_000);
    assert.equal(restored.CpuShares, 1024);
    assert.equal(restored.NanoCpus, 0);
    const v = await dockerCpu.verify!(freshCtx, throughJson(state));
    assert.equal(v.ok, true, v.detail);

    await dockerCpu.revert(freshCtx, throughJson(state));
    assert.equal((await dockerCpu.verify!(freshCtx, state)).ok, true);
    assert.equal(await httpAnswers(port), true);
    fresh.close();
  });

  it('writes NanoCpus for a container created with --cpus, and restores the exact value', async () => {
    const c = await bed.run({ name: 'cpu-nano', cmd: ['sleep', '600'], hostConfig: { NanoCpus: 1_500_000_000 } });
    const ctx = bed.faultContext();
    const state = await dockerCpu.prepare(ctx, attrs({ cpus: 0.5 }), await bed.target(c.id));
    await dockerCpu.apply(ctx, state);
    assert.equal((await bed.inspect(c.id)).HostConfig.NanoCpus, 500_000_000);
    await dockerCpu.revert(bed.faultContext(), throughJson(state));
    const hc = (await bed.inspect(c.id)).HostConfig;
    assert.equal(hc.NanoCpus, 1_500_000_000);
    assert.equal(hc.CpuQuota, 0);
    assert.equal((await dockerCpu.verify!(ctx, state)).ok, true);
  });

  it('restores an explicit quota and period exactly', async () => {
    const c = await bed.run({ name: 'cpu-quota', cmd: ['sleep', '600'], hostConfig: { CpuQuota: 150_000, CpuPeriod: 200_000 } });
    const ctx = bed.faultContext();
    const state = await dockerCpu.prepare(ctx, attrs({ quota: 20_000 }), await bed.target(c.id));
    await dockerCpu.apply(ctx, state);
    let hc = (await bed.inspect(c.id)).HostConfig;
    assert.equal(hc.CpuQuota, 20_000);
    assert.equal(hc.CpuPeriod, 200_000, 'the existing period is kept when none is given');
    await dockerCpu.revert(ctx, state);
    hc = (await bed.inspect(c.id)).HostConfig;
    assert.equal(hc.CpuQuota, 150_000);
    assert.equal(hc.CpuPeriod, 200_000);
  });

  it('reverts cleanly when apply never ran', async () => {
    const c = await bed.run({ name: 'cpu-noapply', cmd: ['sleep', '600'], hostConfig: { CpuQuota: 50_000, CpuPeriod: 100_000 } });
    const ctx = bed.faultContext();
    const state = await dockerCpu.prepare(ctx, attrs({ cpus: 0.1 }), await bed.target(c.id));
    await dockerCpu.revert(ctx, state);
    assert.equal((await bed.inspect(c.id)).HostConfig.CpuQuota, 50_000);
    assert.equal((await dockerCpu.verify!(ctx, state)).ok, true);
  });
});
