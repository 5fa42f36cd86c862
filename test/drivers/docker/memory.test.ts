import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerMemory, type MemoryAttrs } from '../../../src/drivers/docker/faults/memory.js';
import { UNLIMITED_MEMORY } from '../../../src/drivers/docker/faults/resources.js';
import { callContext, freePort, httpAnswers, throughJson, useDockerTestbed } from '../../helpers/docker.js';
import { parsed } from './fixtures.js';

const MiB = 1024 * 1024;

const attrs = (raw: Record<string, unknown> = {}): MemoryAttrs => parsed(dockerMemory, raw);

describe('docker.memory against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();

  it('limits an unlimited container, and a fresh connection lifts the limit again', async () => {
    const port = await freePort();
    const c = await bed.httpServer('mem', port);
    const ctx = bed.faultContext();
    const state = await dockerMemory.prepare(ctx, attrs({ limit: '32MiB' }), await bed.target(c.id));
    assert.deepEqual(state.original, { memory: 0, memorySwap: 0 });
    await dockerMemory.apply(ctx, state);

    const squeezed = (await bed.inspect(c.id)).HostConfig;
    assert.equal(squeezed.Memory, 32 * MiB);
    assert.equal(squeezed.MemorySwap, 32 * MiB, 'no swap unless asked for');
    assert.equal((await dockerMemory.verify!(ctx, state)).ok, false);
    assert.equal(await httpAnswers(port), true);

    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerMemory.revert(freshCtx, throughJson(state));
    const restored = (await bed.inspect(c.id)).HostConfig;
    // This engine reads 0 as "unchanged" and refuses -1: "no limit" comes back as the marker.
    assert.equal(restored.Memory, UNLIMITED_MEMORY);
    assert.equal(restored.MemorySwap, UNLIMITED_MEMORY);
    const v = await dockerMemory.verify!(freshCtx, throughJson(state));
    assert.equal(v.ok, true, v.detail);

    // Idempotent, and a second squeeze-and-revert cycle from the marker works too.
    await dockerMemory.revert(freshCtx, throughJson(state));
    const again = await dockerMemory.prepare(ctx, attrs({ limit: '16MiB', swap: '24MiB' }), await bed.target(c.id));
    await dockerMemory.apply(ctx, again);
    assert.equal((await bed.inspect(c.id)).HostConfig.MemorySwap, 24 * MiB);
    await dockerMemory.revert(ctx, again);
    assert.equal((await bed.inspect(c.id)).HostConfig.Memory, UNLIMITED_MEMORY);
    assert.equal(await httpAnswers(port), true);
    fresh.close();
  });

  it('restores a limit the container was created with exactly', async () => {
    const c = await bed.run({ name: 'mem-set', cmd: ['sleep', '600'], hostConfig: { Memory: 64 * MiB } });
    const ctx = bed.faultContext();
    const original = (await bed.inspect(c.id)).HostConfig;
    const state = await dockerMemory.prepare(ctx, attrs({ limit: '16MiB' }), await bed.target(c.id));
    await dockerMemory.apply(ctx, state);
    assert.equal((await bed.inspect(c.id)).HostConfig.Memory, 16 * MiB);
    await dockerMemory.revert(ctx, throughJson(state));
    const hc = (await bed.inspect(c.id)).HostConfig;
    assert.equal(hc.Memory, original.Memory);
    assert.equal(hc.MemorySwap, original.MemorySwap);
  });

  it('restores unlimited swap (-1) exactly', async () => {
    const c = await bed.run({ name: 'mem-swap', cmd: ['sleep', '600'], hostConfig: { Memory: 64 * MiB, MemorySwap: -1 } });
    const ctx = bed.faultContext();
    const state = await dockerMemory.prepare(ctx, attrs({ limit: '16MiB' }), await bed.target(c.id));
    assert.deepEqual(state.original, { memory: 64 * MiB, memorySwap: -1 });
    await dockerMemory.apply(ctx, state);
    await dockerMemory.revert(ctx, state);
    const hc = (await bed.inspect(c.id)).HostConfig;
    assert.equal(hc.Memory, 64 * MiB);
    assert.equal(hc.MemorySwap, -1);
    assert.equal((await dockerMemory.verify!(ctx, state)).ok, true);
  });
});
