import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerExec, type ExecAttrs } from '../../../src/drivers/docker/faults/exec.js';
import { isFirebreakError } from '../../../src/errors.js';
import { BUSYBOX, callContext, freePort, httpAnswers, throughJson, useDockerTestbed, waitUntil } from '../../helpers/docker.js';
import { parsed } from './fixtures.js';

const attrs = (raw: Record<string, unknown>): ExecAttrs => parsed(dockerExec, raw);

const sh = (script: string): string[] => [BUSYBOX, 'sh', '-c', script];

describe('docker.exec against a real engine', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();
  let c: { id: string; name: string };

  before(async () => {
    // The image is FROM scratch: make the directories the tests use.
    c = await bed.run({ name: 'exec', cmd: ['sh', '-c', 'mkdir -p /tmp && exec sleep 600'] });
    await waitUntil(async () => (await bed.exec(c.id, ['test', '-d', '/tmp'])).exitCode === 0, 5_000, '/tmp to exist');
  });

  async function flagExists(): Promise<boolean> {
    return (await bed.exec(c.id, ['test', '-f', '/tmp/fault-flag'])).exitCode === 0;
  }

  it('runs the command with its output captured, and the revert command from a fresh connection', async () => {
    const ctx = bed.faultContext();
    const a = attrs({ command: sh('echo applied; echo note >&2; touch /tmp/fault-flag'), revertCommand: sh('rm -f /tmp/fault-flag'), env: { MODE: 'chaos' } });
    const prepared = await dockerExec.prepare(ctx, a, await bed.target(c.id));
    const applied = (await dockerExec.apply(ctx, prepared)) ?? prepared;
    assert.equal(applied.applied?.exitCode, 0);
    assert.equal(applied.applied?.stdout, 'applied\n');
    assert.equal(applied.applied?.stderr, 'note\n');
    assert.equal(await flagExists(), true);

    const fresh = await dockerDriver.connect(bed.config, callContext());
    await dockerExec.revert(bed.faultContext(fresh), throughJson(applied));
    assert.equal(await flagExists(), false);
    await dockerExec.revert(bed.faultContext(fresh), throughJson(applied));
    assert.equal(await flagExists(), false);
    fresh.close();
  });

  it('breaks a web server from inside and mends it: HTTP fails during the fault and answers after', async () => {
    const port = await freePort();
    const web = await bed.httpServer('exec-web', port);
    const ctx = bed.faultContext();
    const a = attrs({
      command: sh('mv /www/index.html /www/index.off'),
      // Idempotent: a second run (after a crash) finds it mended already.
      revertCommand: sh('if [ -f /www/index.off ]; then mv /www/index.off /www/index.html; fi'),
    });
    const state = await dockerExec.prepare(ctx, a, await bed.target(web.id));
    await dockerExec.apply(ctx, state);
    assert.equal(await httpAnswers(port), false, 'no page during the fault');
    const fresh = await dockerDriver.connect(bed.config, callContext());
    await dockerExec.revert(bed.faultContext(fresh), throughJson(state));
    assert.equal(await httpAnswers(port), true);
    await dockerExec.revert(bed.faultContext(fresh), throughJson(state));
    assert.equal(await httpAnswers(port), true);
    fresh.close();
  });

  it('passes env, user and working directory through', async () => {
    const ctx = bed.faultContext();
    const a = attrs({ command: sh('echo "$MODE $(id -u) $(pwd)"'), env: { MODE: 'chaos' }, user: '1234', workingDir: '/tmp' });
    const applied = (await dockerExec.apply(ctx, await dockerExec.prepare(ctx, a, await bed.target(c.id))))!;
    assert.equal(applied.applied?.stdout, 'chaos 1234 /tmp\n');
  });

  it('fails apply on a non-zero exit, with the code and the output in the error', async () => {
    const ctx = bed.faultContext();
    const state = await dockerExec.prepare(ctx, attrs({ command: sh('echo broken disk >&2; exit 3') }), await bed.target(c.id));
    await assert.rejects(dockerExec.apply(ctx, state), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_APPLY'));
      assert.match(err.message, /exited 3: broken disk/);
      assert.equal((err.details as { exitCode: number }).exitCode, 3);
      return true;
    });
  });

  it('fails revert on a non-zero exit of the revert command', async () => {
    const ctx = bed.faultContext();
    const state = await dockerExec.prepare(ctx, attrs({ command: sh('true'), revertCommand: sh('exit 4') }), await bed.target(c.id));
    await assert.rejects(dockerExec.revert(ctx, state), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_REVERT') && /exited 4/.test(err.message));
  });

  it('fails the apply when the command outlives its timeout, and says it may still be running', async () => {
    const ctx = bed.faultContext();
    const state = await dockerExec.prepare(ctx, attrs({ command: sh('sleep 27'), revertCommand: sh('sleep 28'), timeout: '700ms' }), await bed.target(c.id));
    assert.equal(dockerExec.budgetMs!(state), 700 + 5_000);
    const t0 = Date.now();
    await assert.rejects(
      dockerExec.apply(ctx, state),
      (err: unknown) =>
        isFirebreakError(err, 'FIREBREAK_E_APPLY') &&
        /did not finish within 700 ms; the engine cannot stop an exec, so it may still be running/.test(err.message) &&
        (err.details as { timedOut?: boolean }).timedOut === true,
    );
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    // As documented: the engine has no call to stop it, so it goes on inside the container.
    assert.match((await bed.exec(c.id, ['ps'])).output, /sleep 27/);
    await assert.rejects(dockerExec.revert(ctx, state), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_REVERT') && /did not finish within 700 ms/.test(err.message));
  });
});
