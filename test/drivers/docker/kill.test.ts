import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerKill, type KillAttrs } from '../../../src/drivers/docker/faults/kill.js';
import { isAbortError } from '../../../src/util/abort.js';
import { callContext, freePort, httpAnswers, throughJson, useDockerTestbed, waitUntil } from '../../helpers/docker.js';
import { parsed } from './fixtures.js';

const attrs = (raw: Record<string, unknown> = {}): KillAttrs => parsed(dockerKill, raw);

describe('docker.kill against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();

  it('kills the container, and a fresh connection starts it again from the JSON state alone', async () => {
    const port = await freePort();
    const c = await bed.httpServer('kill', port);
    const target = await bed.target(c.id);
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs(), target);
    await dockerKill.apply(ctx, state);

    const killed = await bed.inspect(c.id);
    assert.equal(killed.State.Running, false);
    assert.equal(killed.State.ExitCode, 137);
    assert.equal(await httpAnswers(port, 1000), false);

    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerKill.revert(freshCtx, throughJson(state));
    await waitUntil(() => httpAnswers(port), 10_000, 'httpd to answer after the revert');
    assert.deepEqual((await dockerKill.verify!(freshCtx, throughJson(state))).ok, true);

    // Idempotent: a second revert finds it running and leaves it be.
    const startedAt = (await bed.inspect(c.id)).State.StartedAt;
    await dockerKill.revert(freshCtx, throughJson(state));
    assert.equal((await bed.inspect(c.id)).State.StartedAt, startedAt);
    assert.equal(await httpAnswers(port), true);
    fresh.close();
  });

  it('reverts cleanly when apply never ran', async () => {
    const c = await bed.run({ name: 'kill-noapply', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs(), await bed.target(c.id));
    const startedAt = (await bed.inspect(c.id)).State.StartedAt;
    await dockerKill.revert(ctx, state);
    const after = await bed.inspect(c.id);
    assert.equal(after.State.Running, true);
    assert.equal(after.State.StartedAt, startedAt);
  });

  it('sends the signal it is given', async () => {
    // PID 1 only sees signals it traps: this one exits 3 on SIGUSR1.
    const c = await bed.run({ name: 'kill-usr1', cmd: ['sh', '-c', 'trap "exit 3" USR1; while true; do sleep 0.2; done'] });
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs({ signal: 'usr1' }), await bed.target(c.id));
    assert.equal(state.signal, 'SIGUSR1');
    await dockerKill.apply(ctx, state);
    await waitUntil(async () => !(await bed.inspect(c.id)).State.Running, 5_000, 'the container to exit on SIGUSR1');
    assert.equal((await bed.inspect(c.id)).State.ExitCode, 3);
    await dockerKill.revert(ctx, state);
    assert.equal((await bed.inspect(c.id)).State.Running, true);
  });

  it('with recovery: orchestrator, waits for something else to restart it and never starts it itself', async () => {
    const c = await bed.run({ name: 'kill-orch', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs({ recovery: 'orchestrator', recoveryTimeout: '8s' }), await bed.target(c.id));
    await dockerKill.apply(ctx, state);
    assert.equal((await bed.inspect(c.id)).State.Running, false);
    // The "orchestrator": starts the container a little later, on its own schedule.
    const orchestrator = (async () => {
      await new Promise((r) => setTimeout(r, 700));
      await bed.docker.getContainer(c.id).start();
    })();
    const t0 = Date.now();
    await dockerKill.revert(ctx, throughJson(state));
    await orchestrator;
    assert.ok(Date.now() - t0 >= 500, 'revert returned before the orchestrator acted');
    assert.equal((await dockerKill.verify!(ctx, state)).ok, true);
  });

  it('with recovery: orchestrator and no orchestrator, leaves it down and verification fails', async () => {
    const c = await bed.run({ name: 'kill-orphan', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs({ recovery: 'orchestrator', recoveryTimeout: '1s' }), await bed.target(c.id));
    await dockerKill.apply(ctx, state);
    const t0 = Date.now();
    await dockerKill.revert(ctx, state);
    const waited = Date.now() - t0;
    assert.ok(waited >= 900 && waited < 8_000, `waited ${waited} ms`);
    assert.equal((await bed.inspect(c.id)).State.Running, false);
    const v = await dockerKill.verify!(ctx, state);
    assert.equal(v.ok, false);
    assert.match(v.detail ?? '', /orchestrator/);
  });

  it('with recovery: orchestrator, accepts a replacement container of the same Compose service, not an older replica', async () => {
    const service = { 'com.docker.compose.project': `fb${bed.runId}`, 'com.docker.compose.service': 'api' };
    const sibling = await bed.run({ name: 'api-1', cmd: ['sleep', '600'], labels: service });
    const victim = await bed.run({ name: 'api-2', cmd: ['sleep', '600'], labels: service });
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs({ recovery: 'orchestrator', recoveryTimeout: '1s' }), await bed.target(victim.id));
    assert.deepEqual(state.service, service);
    await dockerKill.apply(ctx, state);
    await dockerKill.revert(ctx, state);
    const alone = await dockerKill.verify!(ctx, state);
    assert.equal(alone.ok, false, 'a replica that ran all along is no replacement');
    assert.equal((await bed.inspect(sibling.id)).State.Running, true);

    // The "orchestrator" creates a new container for the service, as Compose or Swarm would.
    const replacement = await bed.run({ name: 'api-2-new', cmd: ['sleep', '600'], labels: service });
    await dockerKill.revert(ctx, throughJson(state));
    const v = await dockerKill.verify!(ctx, throughJson(state));
    assert.equal(v.ok, true, v.detail);
    assert.match(v.detail ?? '', new RegExp(`replaced by ${replacement.name}`));
    assert.equal((await bed.inspect(victim.id)).State.Running, false, 'firebreak did not start the old one');
  });

  it('stops waiting for an orchestrator as soon as the run is cancelled', async () => {
    const c = await bed.run({ name: 'kill-cancel', cmd: ['sleep', '600'] });
    const ctx = bed.faultContext();
    const state = await dockerKill.prepare(ctx, attrs({ recovery: 'orchestrator', recoveryTimeout: '30s' }), await bed.target(c.id));
    await dockerKill.apply(ctx, state);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 300);
    const t0 = Date.now();
    await assert.rejects(dockerKill.revert({ ...ctx, signal: controller.signal }, state), (err: unknown) => isAbortError(err) || /run cancelled/.test(String(err)));
    assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
  });
});
