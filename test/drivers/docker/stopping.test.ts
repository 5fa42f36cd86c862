import { strict as assert } from 'node:assert';
import { dockerCpu } from '../../../src/drivers/docker/faults/cpu.js';
import { dockerExec, type ExecState } from '../../../src/drivers/docker/faults/exec.js';
import { dockerKill, type KillState } from '../../../src/drivers/docker/faults/kill.js';
import { dockerMemory } from '../../../src/drivers/docker/faults/memory.js';
import { dockerPartition } from '../../../src/drivers/docker/faults/partition.js';
import { dockerPause } from '../../../src/drivers/docker/faults/pause.js';
import { dockerRestart, type RestartState } from '../../../src/drivers/docker/faults/restart.js';
import { dockerStop, type StopState } from '../../../src/drivers/docker/faults/stop.js';
import { engineNow } from '../../../src/drivers/docker/containers.js';
import { callBudget } from '../../../src/engine/budget.js';
import type { FaultContext, FaultType, JsonObject } from '../../../src/faults/types.js';
import { withTimeout } from '../../../src/util/abort.js';
import { throughJson, useDockerTestbed, waitUntil, type DockerTestbed } from '../../helpers/docker.js';
import type { DockerConnection } from '../../../src/drivers/docker/client.js';
import { IGNORES_TERM, parsed, slowToExit, waitForSignal } from './fixtures.js';

/** The run's default call timeout. */
const CALL_TIMEOUT_MS = 10_000;

const ref = { container: 'c'.repeat(64), name: 'payments-1', wasRunning: true, service: null, preparedAt: 0 };

describe('Docker fault budgets', () => {
  const cases: [string, number][] = [
    ['docker.stop, default grace', dockerStop.budgetMs!({ ...ref, gracePeriodMs: 10_000, recovery: 'firebreak', recoveryTimeoutMs: 60_000 } as StopState)],
    ['docker.stop, orchestrator recovery', dockerStop.budgetMs!({ ...ref, gracePeriodMs: 10_000, recovery: 'orchestrator', recoveryTimeoutMs: 60_000 } as StopState)],
    ['docker.stop, grace 1.5s (the engine rounds up to 2s)', dockerStop.budgetMs!({ ...ref, gracePeriodMs: 1500, recovery: 'firebreak', recoveryTimeoutMs: 60_000 } as StopState)],
    ['docker.kill SIGKILL', dockerKill.budgetMs!({ ...ref, signal: 'SIGKILL', recovery: 'firebreak', recoveryTimeoutMs: 60_000 } as KillState)],
    ['docker.kill SIGTERM', dockerKill.budgetMs!({ ...ref, signal: 'SIGTERM', recovery: 'firebreak', recoveryTimeoutMs: 60_000 } as KillState)],
    ['docker.kill SIGKILL, orchestrator recovery', dockerKill.budgetMs!({ ...ref, signal: 'SIGKILL', recovery: 'orchestrator', recoveryTimeoutMs: 90_000 } as KillState)],
    ['docker.restart, grace 30s', dockerRestart.budgetMs!({ ...ref, gracePeriodMs: 30_000, recovery: 'firebreak', recoveryTimeoutMs: 0 } as RestartState)],
    ['docker.exec, timeout 2m', dockerExec.budgetMs!({ ...ref, command: ['x'], revertCommand: null, user: null, workingDir: null, env: {}, timeoutMs: 120_000, applied: null } as ExecState)],
  ];
  const expected = [
    // grace + exit + calls; + the recovery window; rounded grace; exit only; docker stop's default; ...
    17_000, 77_000, 9_000, 7_000, 17_000, 97_000, 37_000, 125_000,
  ];
  cases.forEach(([what, got], i) => {
    it(`${what}: ${expected[i]} ms`, () => assert.equal(got, expected[i]));
  });

  it('faults made of single engine calls keep the run\'s call timeout', () => {
    for (const f of [dockerPause, dockerCpu, dockerMemory, dockerPartition] as FaultType<any, any, any>[]) {
      assert.equal(f.budgetMs, undefined, f.type);
    }
  });
});

/** One apply or revert the way the engine runs it: within callBudget, its context's budget the same. */
function asEngine<T>(bed: DockerTestbed, fault: FaultType<any, any, any>, state: JsonObject, call: (ctx: FaultContext<DockerConnection>) => Promise<T>): Promise<T> {
  const budget = callBudget(fault, state, CALL_TIMEOUT_MS);
  return withTimeout(`${fault.type} as the engine runs it`, budget, (signal) => call({ ...bed.faultContext(bed.connection, budget), signal }));
}

describe('stopping faults against a real engine: budgets and abandoned applies', function () {
  this.timeout(60_000);
  const bed = useDockerTestbed();

  it('docker.stop with a 12s grace period on a container ignoring SIGTERM applies within its budget, not the 10s call timeout', async () => {
    const c = await bed.run({ name: 'stop-long', cmd: IGNORES_TERM });
    const state = await dockerStop.prepare(bed.faultContext(), parsed(dockerStop, { gracePeriod: '12s' }), await bed.target(c.id));
    const budget = callBudget(dockerStop, state, CALL_TIMEOUT_MS);
    assert.ok(budget >= 12_000 + 5_000, `budget ${budget} ms`);

    const t0 = Date.now();
    await asEngine(bed, dockerStop, state, (ctx) => dockerStop.apply(ctx, state));
    const took = Date.now() - t0;
    assert.ok(took > CALL_TIMEOUT_MS, `the stop took ${took} ms: the call timeout alone would have cut it`);
    assert.ok(took < budget, `the stop took ${took} ms, over its budget of ${budget} ms`);
    const stopped = await bed.inspect(c.id);
    assert.equal(stopped.State.Running, false);
    assert.equal(stopped.State.ExitCode, 137, 'SIGKILL after the grace period');

    await asEngine(bed, dockerStop, state, (ctx) => dockerStop.revert(ctx, throughJson(state)));
    assert.equal((await bed.inspect(c.id)).State.Running, true);
    assert.equal((await dockerStop.verify!(bed.faultContext(), state)).ok, true);
  });

  /**
   * Starts an apply, waits until its signal reached the container, abandons the apply (as the engine
   * does on a timeout: the engine goes on stopping), and reverts at once from the JSON state alone.
   * The container must end up running, verify must pass, and it must still run a moment later.
   */
  async function revertAfterAbandonedApply(fault: FaultType<any, any, any>, state: JsonObject, id: string): Promise<number> {
    const before = (await bed.inspect(id)).State.StartedAt;
    const since = await engineNow(bed.faultContext());
    const abandon = new AbortController();
    const applying = fault.apply({ ...bed.faultContext(), signal: abandon.signal }, state).catch(() => undefined);
    await waitForSignal(bed, id, since);
    abandon.abort(new Error('abandoned'));

    const t0 = Date.now();
    await asEngine(bed, fault, state, (ctx) => fault.revert(ctx, throughJson(state)));
    const took = Date.now() - t0;
    const after = await bed.inspect(id);
    assert.equal(after.State.Running, true, 'running after the revert');
    assert.notEqual(after.State.StartedAt, before, 'the container did stop and was started again');
    const v = await fault.verify!(bed.faultContext(), throughJson(state));
    assert.equal(v.ok, true, v.detail);
    await applying;
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await bed.inspect(id)).State.Running, true, 'still running once the abandoned apply is over');
    return took;
  }

  it('docker.stop: a revert right after an abandoned apply waits for the stop to finish, then starts it', async () => {
    const c = await bed.run({ name: 'stop-race', cmd: IGNORES_TERM });
    const state = await dockerStop.prepare(bed.faultContext(), parsed(dockerStop, { gracePeriod: '3s' }), await bed.target(c.id));
    const took = await revertAfterAbandonedApply(dockerStop, state, c.id);
    assert.ok(took >= 2_000, `the revert waited ${took} ms for the grace period`);
  });

  it('docker.kill with SIGTERM: a revert right after the signal waits for the container to exit, then starts it', async () => {
    const c = await bed.run({ name: 'kill-race', cmd: slowToExit(2) });
    const state = await dockerKill.prepare(bed.faultContext(), parsed(dockerKill, { signal: 'TERM' }), await bed.target(c.id));
    await revertAfterAbandonedApply(dockerKill, state, c.id);
  });

  it('docker.restart: a revert right after an abandoned apply waits for the restart, and it runs', async () => {
    const c = await bed.run({ name: 'restart-race', cmd: IGNORES_TERM });
    const state = await dockerRestart.prepare(bed.faultContext(), parsed(dockerRestart, { gracePeriod: '2s' }), await bed.target(c.id));
    await revertAfterAbandonedApply(dockerRestart, state, c.id);
  });

  it('a revert with no stop in progress does not wait', async () => {
    const c = await bed.run({ name: 'stop-nowait', cmd: IGNORES_TERM });
    const state = await dockerStop.prepare(bed.faultContext(), parsed(dockerStop, { gracePeriod: '10s' }), await bed.target(c.id));
    const t0 = Date.now();
    await dockerStop.revert(bed.faultContext(), state);
    assert.ok(Date.now() - t0 < 2_000, `revert took ${Date.now() - t0} ms`);
    assert.equal((await bed.inspect(c.id)).State.Running, true);
  });
});
