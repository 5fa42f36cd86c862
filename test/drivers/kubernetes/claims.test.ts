import { strict as assert } from 'node:assert';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { isFirebreakError } from '../../../src/errors.js';
import type { TargetClaim } from '../../../src/drivers/types.js';
import { callContext, useKubeTestbed } from '../../helpers/kube-api/index.js';

const claim = (runId: string, instanceId: string, ms = 60_000): TargetClaim => ({ runId, instanceId, holder: `host-${runId}/1234`, expiresAt: new Date(Date.now() + ms).toISOString() });

describe('target claims on pods (claimTarget / releaseTarget)', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();
  const annotation = (name: string) => bed.api.store.get('', 'pods', 'shop', name)?.metadata.annotations?.['firebreak.dev/claim'];

  it('a run claims a pod; another live run gets FIREBREAK_E_TARGET_BUSY; the same run adds instances; release removes the claim when its last instance goes', async () => {
    await bed.deployment('web', { replicas: 1 });
    const [pod] = await bed.targets({ labels: { app: 'web' } });
    await kubernetesDriver.claimTarget!(bed.conn, pod!, claim('run-a', 'run-a-0-0'), callContext());
    assert.deepEqual(JSON.parse(annotation(pod!.name)!).instances, ['run-a-0-0']);
    assert.equal(bed.api.store.get('', 'pods', 'shop', pod!.name)!.metadata.labels!['firebreak.dev/run'], 'run-a');
    await assert.rejects(kubernetesDriver.claimTarget!(bed.conn, pod!, claim('run-b', 'run-b-0-0'), callContext()), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_TARGET_BUSY'), String(err));
      assert.match((err as Error).message, new RegExp(`Pod shop/${pod!.name} is under a fault of run run-a \\(held by host-run-a/1234 until `));
      return true;
    });
    await kubernetesDriver.claimTarget!(bed.conn, pod!, claim('run-a', 'run-a-1-0'), callContext());
    assert.deepEqual(JSON.parse(annotation(pod!.name)!).instances, ['run-a-0-0', 'run-a-1-0']);
    await kubernetesDriver.releaseTarget!(bed.conn, pod!, claim('run-b', 'run-b-0-0'), callContext());
    assert.ok(annotation(pod!.name), 'another run cannot release it');
    await kubernetesDriver.releaseTarget!(bed.conn, pod!, claim('run-a', 'run-a-0-0'), callContext());
    assert.deepEqual(JSON.parse(annotation(pod!.name)!).instances, ['run-a-1-0']);
    await kubernetesDriver.releaseTarget!(bed.conn, pod!, claim('run-a', 'run-a-1-0'), callContext());
    assert.equal(annotation(pod!.name), undefined);
    assert.equal(bed.api.store.get('', 'pods', 'shop', pod!.name)!.metadata.labels!['firebreak.dev/run'], undefined);
    await kubernetesDriver.releaseTarget!(bed.conn, pod!, claim('run-a', 'run-a-1-0'), callContext());
  });

  it('an expired claim is taken over', async () => {
    await bed.deployment('old', { replicas: 1 });
    const [pod] = await bed.targets({ labels: { app: 'old' } });
    await kubernetesDriver.claimTarget!(bed.conn, pod!, claim('dead', 'dead-0-0', -1_000), callContext());
    await kubernetesDriver.claimTarget!(bed.conn, pod!, claim('live', 'live-0-0'), callContext());
    assert.equal(JSON.parse(annotation(pod!.name)!).runId, 'live');
  });

  it('two runs claiming at once: exactly one wins (the JSON Patch tests the resourceVersion)', async () => {
    await bed.deployment('race', { replicas: 1 });
    const [pod] = await bed.targets({ labels: { app: 'race' } });
    const other = await kubernetesDriver.connect(bed.config, callContext());
    const results = await Promise.allSettled([
      kubernetesDriver.claimTarget!(bed.conn, pod!, claim('one', 'one-0-0'), callContext()),
      kubernetesDriver.claimTarget!(other, pod!, claim('two', 'two-0-0'), callContext()),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(isFirebreakError(lost.reason, 'FIREBREAK_E_TARGET_BUSY'), String(lost.reason));
    const winner = results[0]!.status === 'fulfilled' ? 'one' : 'two';
    assert.equal(JSON.parse(annotation(pod!.name)!).runId, winner);
  });

  it('a replaced pod (same name, new uid) cannot be claimed under the old target', async () => {
    await bed.statefulSet('db', { replicas: 1 });
    const [pod] = await bed.targets({ labels: { app: 'db' } });
    bed.api.cluster.deletePod(bed.api.store.get('', 'pods', 'shop', 'db-0')!, 0);
    bed.api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db' } }, spec: { containers: [{ name: 'a', image: 'x' }] } });
    await assert.rejects(kubernetesDriver.claimTarget!(bed.conn, pod!, claim('r', 'r-0-0'), callContext()), /no longer exists; nothing to claim/);
  });
});
