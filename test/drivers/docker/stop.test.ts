import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerStop, type StopAttrs } from '../../../src/drivers/docker/faults/stop.js';
import { callContext, freePort, httpAnswers, throughJson, useDockerTestbed, waitUntil } from '../../helpers/docker.js';
import { parsed } from './fixtures.js';

const attrs = (raw: Record<string, unknown> = {}): StopAttrs => parsed(dockerStop, raw);

describe('docker.stop against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();

  it('stops the container after the grace period, and a fresh connection starts it again', async () => {
    const port = await freePort();
    const c = await bed.httpServer('stop', port);
    const ctx = bed.faultContext();
    const state = await dockerStop.prepare(ctx, attrs({ gracePeriod: '1s' }), await bed.target(c.id));
    assert.equal(state.gracePeriodMs, 1000);
    const t0 = Date.now();
    await dockerStop.apply(ctx, state);
    // httpd as PID 1 ignores SIGTERM: the engine waits out the grace period, then kills it.
    assert.ok(Date.now() - t0 >= 900, `stop returned after ${Date.now() - t0} ms`);
    const stopped = await bed.inspect(c.id);
    assert.equal(stopped.State.Running, false);
    assert.equal(await httpAnswers(port, 1000), false);

    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerStop.revert(freshCtx, throughJson(state));
    await waitUntil(() => httpAnswers(port), 10_000, 'httpd to answer after the revert');
    assert.equal((await dockerStop.verify!(freshCtx, throughJson(state))).ok, true);

    const startedAt = (await bed.inspect(c.id)).State.StartedAt;
    await dockerStop.revert(freshCtx, throughJson(state));
    assert.equal((await bed.inspect(c.id)).State.StartedAt, startedAt, 'a second revert must not restart it');
    fresh.close();
  });

  it('applying twice is harmless (the engine answers 304 for a stopped container)', async () => {
    const c = await bed.run({ name: 'stop-twice', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const state = await dockerStop.prepare(ctx, attrs({ gracePeriod: '0s' }), await bed.target(c.id));
    await dockerStop.apply(ctx, state);
    await dockerStop.apply(ctx, state);
    assert.equal((await bed.inspect(c.id)).State.Running, false);
    await dockerStop.revert(ctx, state);
    assert.equal((await bed.inspect(c.id)).State.Running, true);
  });

  it('leaves a container that was already stopped as it was', async () => {
    const c = await bed.run({ name: 'stop-stopped', cmd: ['sleep', '600'] });
    await bed.docker.getContainer(c.id).stop({ t: 0 });
    const ctx = bed.faultContext();
    const state = await dockerStop.prepare(ctx, attrs(), await bed.target(c.id));
    assert.equal(state.wasRunning, false);
    await dockerStop.apply(ctx, state);
    await dockerStop.revert(ctx, state);
    assert.equal((await bed.inspect(c.id)).State.Running, false);
    assert.equal((await dockerStop.verify!(ctx, state)).ok, true);
  });

  it('with recovery: orchestrator, verification passes once something else started it', async () => {
    const c = await bed.run({ name: 'stop-orch', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const state = await dockerStop.prepare(ctx, attrs({ gracePeriod: '0s', recovery: 'orchestrator', recoveryTimeout: '8s' }), await bed.target(c.id));
    await dockerStop.apply(ctx, state);
    const orchestrator = (async () => {
      await new Promise((r) => setTimeout(r, 600));
      await bed.docker.getContainer(c.id).start();
    })();
    await dockerStop.revert(ctx, state);
    await orchestrator;
    assert.equal((await dockerStop.verify!(ctx, state)).ok, true);
  });
});
