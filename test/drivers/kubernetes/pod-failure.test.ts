import { strict as assert } from 'node:assert';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { PAUSE_IMAGE, podFailure } from '../../../src/drivers/kubernetes/faults/pod-failure.js';
import { callContext, eventually, isReady, requireKubectl, throughJson, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { parsedAttrs, parseProblems } from './fixtures.js';

describe('kubernetes.pod-failure against the test API server', function () {
  this.timeout(40_000);
  const bed = useKubeTestbed();

  it('swaps the canary pod\'s images for the pause image (the template untouched), records the originals on the pod, and a fresh connection restores them; kubectl sees each step', async function () {
    requireKubectl(this);
    await bed.deployment('web', { replicas: 2, readinessProbe: true, containers: [{ name: 'app', image: 'nginx:1.25' }, { name: 'sidecar', image: 'envoy:1.30' }] });
    const [target, other] = await bed.targets({ labels: { app: 'web' } });
    const ctx = bed.faultContext();
    const state = await podFailure.prepare(ctx, parsedAttrs(podFailure, { containers: ['app'], recoveryTimeout: '10s' }), target);
    assert.deepEqual(state.originals, { app: 'nginx:1.25' });
    await podFailure.apply(ctx, state);
    const images = async (name: string): Promise<string> => (await bed.kubectl(['get', 'pod', name, '-o', 'jsonpath={.spec.containers[*].image}'])).stdout;
    assert.equal(await images(target!.name), `${PAUSE_IMAGE} envoy:1.30`);
    assert.equal(await images(other!.name), 'nginx:1.25 envoy:1.30', 'the control pod is untouched');
    const pod = await bed.kubectlJson(['get', 'pod', target!.name]);
    assert.deepEqual(JSON.parse(pod.metadata.annotations['firebreak.dev/pod-failure-data']), { image: PAUSE_IMAGE, originals: { app: 'nginx:1.25' } });
    assert.equal(pod.metadata.labels['firebreak.dev/pod-failure'], ctx.instanceId);
    assert.equal(pod.metadata.labels['app.kubernetes.io/managed-by'], 'firebreak');
    const template = await bed.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[*].image}']);
    assert.equal(template.stdout, 'nginx:1.25 envoy:1.30', 'the workload template is not changed');
    await eventually('the paused container to restart and stay unready', () => {
      const p = bed.api.store.get('', 'pods', 'shop', target!.name)!;
      return p.status.containerStatuses[0].restartCount === 1 && !isReady(p);
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(isReady(bed.api.store.get('', 'pods', 'shop', target!.name)!), false, 'a pause image never passes the readiness probe');

    const fresh = await kubernetesDriver.connect(bed.config, callContext());
    await podFailure.revert(bed.faultContext(fresh), throughJson(state));
    assert.equal(await images(target!.name), 'nginx:1.25 envoy:1.30');
    assert.equal(isReady(bed.api.store.get('', 'pods', 'shop', target!.name)!), true, 'the revert waited for readiness');
    const after = await bed.kubectlJson(['get', 'pod', target!.name]);
    assert.equal(after.metadata.labels['firebreak.dev/pod-failure'], undefined);
    assert.equal(after.metadata.labels['app.kubernetes.io/managed-by'], undefined);
    assert.equal(after.metadata.annotations?.['firebreak.dev/pod-failure-data'], undefined);
    const v = await podFailure.verify!(bed.faultContext(fresh), state);
    assert.deepEqual(v, { ok: true, detail: `pod ${target!.name} runs nginx:1.25 again and is ready` });
    await podFailure.revert(ctx, state);
    assert.equal(bed.api.store.get('', 'pods', 'shop', target!.name)!.status.containerStatuses[0].restartCount, 2, 'a second revert changes nothing');
  });

  it('only the pod is patched, with a JSON Patch guarded by its resourceVersion and uid', async () => {
    await bed.deployment('guard', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'guard' } });
    const ctx = bed.faultContext();
    const state = await podFailure.prepare(ctx, parsedAttrs(podFailure), target);
    await podFailure.apply(ctx, state);
    const patch = bed.api.seen.filter((r) => r.method === 'PATCH').at(-1)!;
    assert.equal(patch.contentType, 'application/json-patch+json');
    const ops = patch.body as { op: string; path: string; value?: unknown }[];
    assert.deepEqual(ops.slice(0, 3).map((o) => [o.op, o.path]), [['test', '/metadata/resourceVersion'], ['test', '/metadata/uid'], ['replace', '/spec/containers/0/image']]);
    await podFailure.apply(ctx, state);
    assert.equal(bed.api.seen.filter((r) => r.method === 'PATCH').at(-1), patch, 'applying twice patches once');
    await podFailure.revert(ctx, state);
  });

  it('a pod replaced in between runs its template\'s images: nothing to restore, verify passes', async () => {
    await bed.deployment('gone', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'gone' } });
    const ctx = bed.faultContext();
    const state = await podFailure.prepare(ctx, parsedAttrs(podFailure), target);
    await podFailure.apply(ctx, state);
    bed.api.cluster.deletePod(bed.api.store.get('', 'pods', 'shop', target!.name)!, 0);
    await eventually('a replacement', () => bed.readyPods('shop', { app: 'gone' }).some((p) => p.metadata.uid !== target!.id));
    await podFailure.revert(ctx, state);
    assert.match((await podFailure.verify!(ctx, state)).detail!, /was replaced/);
    assert.equal(bed.pods('shop', { app: 'gone' })[0]!.spec.containers[0].image, 'nginx:1.25');
  });

  it('refuses containers the pod does not have, and validates its attributes', async () => {
    await bed.deployment('named', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'named' } });
    await assert.rejects(podFailure.prepare(bed.faultContext(), parsedAttrs(podFailure, { containers: ['db'] }), target), /has no container db \(it has app\)/);
    assert.match(parseProblems(podFailure, { containers: 'app' }).join(), /containers: must be a non-empty list/);
    assert.match(parseProblems(podFailure, { image: '' }).join(), /image: must be a non-empty string/);
  });
});
