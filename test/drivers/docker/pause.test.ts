import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerPause } from '../../../src/drivers/docker/faults/pause.js';
import { callContext, freePort, httpAnswers, throughJson, useDockerTestbed, waitUntil } from '../../helpers/docker.js';

describe('docker.pause against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();

  it('freezes the container so its HTTP port stops answering, and a fresh connection unpauses it', async () => {
    const port = await freePort();
    const c = await bed.httpServer('pause', port);
    const ctx = bed.faultContext();
    const state = await dockerPause.prepare(ctx, {}, await bed.target(c.id));
    await dockerPause.apply(ctx, state);

    assert.equal((await bed.inspect(c.id)).State.Paused, true);
    // The kernel still accepts the connection; the frozen httpd never answers it.
    assert.equal(await httpAnswers(port, 1200), false);
    const during = await dockerPause.verify!(ctx, state);
    assert.equal(during.ok, false);
    assert.match(during.detail ?? '', /still paused/);

    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerPause.revert(freshCtx, throughJson(state));
    await waitUntil(() => httpAnswers(port), 5_000, 'httpd to answer after unpausing');
    assert.equal((await dockerPause.verify!(freshCtx, throughJson(state))).ok, true);

    await dockerPause.revert(freshCtx, throughJson(state));
    assert.equal((await bed.inspect(c.id)).State.Paused, false);
    assert.equal(await httpAnswers(port), true);
    fresh.close();
  });

  it('reverts cleanly when apply never ran, and leaves an already paused container paused', async () => {
    const c = await bed.run({ name: 'pause-pre', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const target = await bed.target(c.id);
    const notApplied = await dockerPause.prepare(ctx, {}, target);
    await dockerPause.revert(ctx, notApplied);
    assert.equal((await bed.inspect(c.id)).State.Paused, false);

    await bed.docker.getContainer(c.id).pause();
    const state = await dockerPause.prepare(ctx, {}, target);
    assert.equal(state.wasPaused, true);
    await dockerPause.apply(ctx, state);
    await dockerPause.revert(ctx, state);
    assert.equal((await bed.inspect(c.id)).State.Paused, true, 'the fault must not unpause what it did not pause');
    await bed.docker.getContainer(c.id).unpause();
  });
});
