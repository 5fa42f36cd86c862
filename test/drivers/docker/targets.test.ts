import { strict as assert } from 'node:assert';
import { selectTargets } from '../../../src/cohort/select.js';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { isFirebreakError } from '../../../src/errors.js';
import type { Target } from '../../../src/faults/types.js';
import { callContext, TEST_IMAGE, TEST_LABEL, useDockerTestbed } from '../../helpers/docker.js';

describe('listing Docker containers as targets', function () {
  this.timeout(30_000);
  const bed = useDockerTestbed();
  let project: string;
  const names = (ts: Target[]): string[] => ts.map((t) => t.name.replace(`fb-${bed.runId}-`, '')).sort();
  const list = (selector: Record<string, unknown>): Promise<Target[]> =>
    dockerDriver.listTargets!(bed.connection, { labels: { [TEST_LABEL]: bed.runId }, ...selector }, callContext());

  before(async () => {
    project = `fb${bed.runId}`;
    const compose = (service: string, n: number): Record<string, string> => ({
      'com.docker.compose.project': project,
      'com.docker.compose.service': service,
      'com.docker.compose.container-number': String(n),
      tier: service === 'db' ? 'data' : 'front',
    });
    await Promise.all([
      bed.run({ name: 'payments-1', cmd: ['sleep', '600'], labels: compose('payments', 1) }),
      bed.run({ name: 'payments-2', cmd: ['sleep', '600'], labels: compose('payments', 2) }),
      bed.run({ name: 'payments-3', cmd: ['sleep', '600'], labels: compose('payments', 3) }),
      bed.run({ name: 'db-1', cmd: ['sleep', '600'], labels: compose('db', 1) }),
    ]);
    const stopped = await bed.run({ name: 'payments-old', cmd: ['sleep', '600'], labels: compose('payments', 4) });
    await bed.docker.getContainer(stopped.id).stop({ t: 0 });
  });

  it('lists running containers with their facts', async () => {
    const all = await list({});
    assert.deepEqual(names(all), ['db-1', 'payments-1', 'payments-2', 'payments-3']);
    const t = all.find((x) => x.name.endsWith('payments-2'))!;
    assert.equal(t.driver, 'docker');
    assert.match(t.id, /^[0-9a-f]{64}$/);
    assert.ok(!t.name.startsWith('/'));
    assert.equal(t.labels['tier'], 'front');
    assert.equal(t.meta?.image, TEST_IMAGE);
    assert.equal(t.meta?.state, 'running');
    assert.equal(t.meta?.composeProject, project);
    assert.equal(t.meta?.composeService, 'payments');
    assert.deepEqual(t.meta?.networks, ['host']);
  });

  it('filters by label, name pattern (glob and regex), names, image and Compose keys', async () => {
    assert.deepEqual(names(await list({ labels: { [TEST_LABEL]: bed.runId, tier: 'data' } })), ['db-1']);
    assert.deepEqual(names(await list({ namePattern: `fb-${bed.runId}-payments-*` })), ['payments-1', 'payments-2', 'payments-3']);
    assert.deepEqual(names(await list({ namePattern: '/-payments-[12]$/' })), ['payments-1', 'payments-2']);
    assert.deepEqual(names(await list({ names: [`fb-${bed.runId}-db-1`] })), ['db-1']);
    assert.deepEqual(names(await list({ image: 'firebreak-test/busybox' })), ['db-1', 'payments-1', 'payments-2', 'payments-3']);
    assert.deepEqual(names(await list({ image: 'firebreak-test/busybox:other' })), []);
    assert.deepEqual(names(await list({ composeProject: project, composeService: 'db' })), ['db-1']);
    assert.deepEqual(names(await list({ composeService: 'payments' })), ['payments-1', 'payments-2', 'payments-3']);
    assert.deepEqual(names(await list({ composeProject: 'some-other-project' })), []);
  });

  it('includes stopped containers only when asked', async () => {
    assert.deepEqual(names(await list({ composeService: 'payments', includeStopped: true })), ['payments-1', 'payments-2', 'payments-3', 'payments-old']);
    const old = (await list({ includeStopped: true })).find((t) => t.name.endsWith('payments-old'))!;
    assert.equal(old.meta?.state, 'exited');
  });

  it('refuses an unknown selector key instead of ignoring it', async () => {
    await assert.rejects(list({ lables: { app: 'x' } }), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_INVALID') && /lables/.test(err.message));
  });

  it('feeds a seeded, protected, blast-radius-checked selection', async () => {
    const candidates = await list({});
    const spec = { mode: 'fixed' as const, value: 2, seed: 'game-day-7', protect: { labels: { tier: 'data' } } };
    const a = selectTargets(candidates, spec, { namePattern: `fb-${bed.runId}-*` });
    const b = selectTargets(await list({}), spec, { namePattern: `fb-${bed.runId}-*` });
    assert.deepEqual(a.canary.map((t) => t.id), b.canary.map((t) => t.id));
    assert.equal(a.canary.length, 2);
    assert.deepEqual(names(a.protected), ['db-1']);
    assert.equal(a.control.length, 1);
    assert.ok(a.canary.every((t) => t.labels['tier'] === 'front'));
    assert.throws(
      () => selectTargets(candidates, { mode: 'all', maxBlastRadius: { count: 2 } }, {}),
      (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_BLAST_RADIUS') && /touch 4 targets of 4 matching/.test(err.message),
    );
  });
});
