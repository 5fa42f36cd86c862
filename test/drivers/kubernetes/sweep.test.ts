import { strict as assert } from 'node:assert';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { meshDelay } from '../../../src/drivers/kubernetes/faults/mesh-delay.js';
import { partition } from '../../../src/drivers/kubernetes/faults/partition.js';
import { PAUSE_IMAGE, podFailure } from '../../../src/drivers/kubernetes/faults/pod-failure.js';
import { scale } from '../../../src/drivers/kubernetes/faults/scale.js';
import type { TargetClaim } from '../../../src/drivers/types.js';
import { callContext, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { parsedAttrs } from './fixtures.js';

describe('sweeping what a lost ledger left behind (recover --sweep)', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();

  it('finds every kind of mark by its labels, leaves a live run\'s, reverts an over run\'s from what it recorded on the objects', async () => {
    await bed.deployment('web', { replicas: 3 });
    // Scaled apart from the pods under the other faults: scaling back down removes a pod that is not ready first.
    await bed.deployment('batch', { replicas: 3 });
    bed.api.apply({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'pay', namespace: 'shop' }, spec: { hosts: ['pay'], http: [{ name: 'main', route: [{ destination: { host: 'pay' } }] }] } });
    const [a, b] = await bed.targets({ labels: { app: 'web' } });
    const ctx = bed.faultContext(bed.conn, { runId: 'lost', instanceId: 'lost-0-0' });
    const p = await partition.prepare(ctx, parsedAttrs(partition), a);
    await partition.apply(ctx, p);
    const f = await podFailure.prepare({ ...ctx, instanceId: 'lost-1-1' }, parsedAttrs(podFailure), b);
    await podFailure.apply({ ...ctx, instanceId: 'lost-1-1' }, f);
    const s = await scale.prepare({ ...ctx, instanceId: 'lost-2-0' }, parsedAttrs(scale, { workload: 'deployment/batch', replicas: 5 }));
    await scale.apply({ ...ctx, instanceId: 'lost-2-0' }, s);
    const m = await meshDelay.prepare({ ...ctx, instanceId: 'lost-3-0' }, parsedAttrs(meshDelay, { virtualService: 'pay', delay: '1s' }));
    await meshDelay.apply({ ...ctx, instanceId: 'lost-3-0' }, m);
    const live: TargetClaim = { runId: 'other', instanceId: 'other-0-0', holder: 'h', expiresAt: new Date(Date.now() + 60_000).toISOString() };

    // While the run may be live (unknown to this ledger, not expired), nothing is swept.
    const none = await kubernetesDriver.sweep!(bed.conn, { isRunLive: () => true, now: Date.now() }, callContext());
    assert.deepEqual(none, []);
    const dry = await kubernetesDriver.sweep!(bed.conn, { isRunLive: (r) => r !== 'lost', now: Date.now(), dryRun: true }, callContext());
    assert.equal(dry.length, 5);
    assert.ok(dry.every((i) => i.action.startsWith('would ')));
    assert.ok(bed.api.store.get('networking.k8s.io', 'networkpolicies', 'shop', p.policy), 'a dry run changes nothing');

    await kubernetesDriver.claimTarget!(bed.conn, a!, live, callContext());
    const items = await kubernetesDriver.sweep!(bed.conn, { isRunLive: (r) => r !== 'lost', now: Date.now() }, callContext());
    assert.deepEqual(items.map((i) => [i.object.replace(/web-\S+ /, 'web-* '), i.reason, i.action, i.ok]).sort(), [
      [`NetworkPolicy shop/${p.policy}`, 'run lost is over', 'delete it', true],
      ['Deployment shop/batch (kubernetes.scale)', 'run lost is over', 'restore the recorded replica count', true],
      ['Pod shop/web-* (kubernetes.partition)', 'run lost is over', 'remove the partition label', true],
      ['Pod shop/web-* (kubernetes.pod-failure)', 'run lost is over', 'restore the recorded images', true],
      [`VirtualService shop/pay route ${m.routeName}`, 'run lost is over', 'remove the route', true],
    ].sort());
    assert.equal(bed.api.store.get('networking.k8s.io', 'networkpolicies', 'shop', p.policy), undefined);
    assert.equal(bed.api.store.get('apps', 'deployments', 'shop', 'batch')!.spec.replicas, 3);
    const podA = bed.api.store.get('', 'pods', 'shop', a!.name)!;
    assert.equal(podA.metadata.labels!['firebreak.dev/partition'], undefined);
    assert.ok(podA.metadata.annotations!['firebreak.dev/claim'], 'the live run\'s claim stays');
    assert.equal(bed.api.store.get('', 'pods', 'shop', b!.name)!.spec.containers[0].image, 'nginx:1.25');
    assert.notEqual(bed.api.store.get('', 'pods', 'shop', b!.name)!.spec.containers[0].image, PAUSE_IMAGE);
    assert.deepEqual(bed.api.store.get('networking.istio.io', 'virtualservices', 'shop', 'pay')!.spec.http.map((r: { name: string }) => r.name), ['main']);
    assert.deepEqual(await kubernetesDriver.sweep!(bed.conn, { isRunLive: (r) => r !== 'lost', now: Date.now() }, callContext()), [], 'nothing is left');
  });

  it('an expired mark is swept whatever its run, and an expired claim too', async () => {
    await bed.deployment('exp', { replicas: 1 });
    const [pod] = await bed.targets({ labels: { app: 'exp' } });
    const ctx = bed.faultContext(bed.conn, { runId: 'unknown', instanceId: 'unknown-0-0' });
    const p = await partition.prepare(ctx, parsedAttrs(partition, { expiresAfter: '1s' }), pod);
    await partition.apply(ctx, p);
    await kubernetesDriver.claimTarget!(bed.conn, pod!, { runId: 'unknown', instanceId: 'unknown-0-0', holder: 'h', expiresAt: new Date(Date.now() + 500).toISOString() }, callContext());
    assert.deepEqual(await kubernetesDriver.sweep!(bed.conn, { isRunLive: () => true, now: Date.now() }, callContext()), []);
    const later = Date.now() + 2_000;
    const items = await kubernetesDriver.sweep!(bed.conn, { isRunLive: () => true, now: later }, callContext());
    assert.deepEqual(items.map((i) => i.reason.replace(/at \S+/, 'at T')).sort(), ['expired at T', 'expired at T', 'expired at T']);
    const left = bed.api.store.get('', 'pods', 'shop', pod!.name)!.metadata;
    assert.deepEqual(Object.keys(left.labels!).sort(), ['app', 'pod-template-hash']);
    assert.equal(left.annotations?.['firebreak.dev/claim'], undefined);
  });
});
