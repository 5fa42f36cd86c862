import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerRestart } from '../../../src/drivers/docker/faults/restart.js';
import { callContext, freePort, httpAnswers, throughJson, useDockerTestbed, waitUntil } from '../../helpers/docker.js';
import { parsed } from './fixtures.js';

describe('docker.restart against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();

  it('restarts the container (a new start time), and revert from a fresh connection makes sure it runs', async () => {
    const port = await freePort();
    const c = await bed.httpServer('restart', port);
    const a = parsed(dockerRestart, { gracePeriod: '0s' });
    const ctx = bed.faultContext();
    const state = await dockerRestart.prepare(ctx, a, await bed.target(c.id));
    const before = (await bed.inspect(c.id)).State.StartedAt;
    await dockerRestart.apply(ctx, state);
    const after = await bed.inspect(c.id);
    assert.notEqual(after.State.StartedAt, before);
    assert.ok(Date.parse(after.State.StartedAt) > Date.parse(before));
    await waitUntil(() => httpAnswers(port), 10_000, 'httpd to answer after the restart');

    // A crash between the stop and the start of a restart leaves it stopped: revert starts it.
    await bed.docker.getContainer(c.id).stop({ t: 0 });
    assert.equal(await httpAnswers(port, 800), false);
    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerRestart.revert(freshCtx, throughJson(state));
    await waitUntil(() => httpAnswers(port), 10_000, 'httpd to answer after the revert');
    assert.equal((await dockerRestart.verify!(freshCtx, throughJson(state))).ok, true);

    const startedAt = (await bed.inspect(c.id)).State.StartedAt;
    await dockerRestart.revert(freshCtx, throughJson(state));
    assert.equal((await bed.inspect(c.id)).State.StartedAt, startedAt);
    fresh.close();
  });
});
