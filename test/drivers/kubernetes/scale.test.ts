import { strict as assert } from 'node:assert';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { scale } from '../../../src/drivers/kubernetes/faults/scale.js';
import { callContext, eventually, requireKubectl, throughJson, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { parsedAttrs, parseProblems } from './fixtures.js';

describe('kubernetes.scale against the test API server', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();
  const replicas = async (what: string): Promise<string> => (await bed.kubectl(['get', what, '-o', 'jsonpath={.spec.replicas}'])).stdout;

  it('scales through the scale subresource, marks the workload with the count to restore, and a fresh connection restores it; kubectl sees each step', async function () {
    requireKubectl(this);
    await bed.deployment('web', { replicas: 3 });
    const ctx = bed.faultContext();
    const state = await scale.prepare(ctx, parsedAttrs(scale, { workload: 'deployment/web', replicas: 1 }));
    assert.deepEqual({ from: state.from, to: state.to, workload: state.workload }, { from: 3, to: 1, workload: { kind: 'Deployment', name: 'web', namespace: 'shop' } });
    await scale.apply(ctx, state);
    assert.equal(await replicas('deployment/web'), '1');
    const scalePatch = bed.api.seen.filter((r) => r.method === 'PATCH' && r.path.endsWith('/scale')).at(-1)!;
    assert.deepEqual(scalePatch.body, [{ op: 'test', path: '/spec/replicas', value: 3 }, { op: 'replace', path: '/spec/replicas', value: 1 }]);
    const d = await bed.kubectlJson(['get', 'deployment', 'web']);
    assert.deepEqual(JSON.parse(d.metadata.annotations['firebreak.dev/scale-data']), { from: 3, to: 1 });
    await eventually('one pod left', () => bed.readyPods('shop', { app: 'web' }).length === 1);

    const fresh = await kubernetesDriver.connect(bed.config, callContext());
    await scale.revert(bed.faultContext(fresh), throughJson(state));
    assert.equal(await replicas('deployment/web'), '3');
    const after = await bed.kubectlJson(['get', 'deployment', 'web']);
    assert.equal(after.metadata.annotations?.['firebreak.dev/scale-data'], undefined);
    assert.equal(after.metadata.labels['firebreak.dev/scale'], undefined);
    assert.deepEqual(await scale.verify!(ctx, state), { ok: true, detail: 'Deployment shop/web is back to 3 replicas' });
    await eventually('three pods again', () => bed.readyPods('shop', { app: 'web' }).length === 3);
  });

  it('leaves a count someone changed after the fault', async function () {
    requireKubectl(this);
    await bed.statefulSet('db', { replicas: 2 });
    const ctx = bed.faultContext();
    const state = await scale.prepare(ctx, parsedAttrs(scale, { workload: 'statefulset/db', replicas: 0 }));
    await scale.apply(ctx, state);
    assert.equal((await bed.kubectl(['scale', 'statefulset/db', '--replicas=5'])).code, 0);
    await scale.revert(ctx, state);
    assert.equal(await replicas('statefulset/db'), '5');
    assert.deepEqual(await scale.verify!(ctx, state), { ok: true, detail: 'StatefulSet shop/db has 5 replicas: someone changed it after the fault, so firebreak left it' });
  });

  it('refuses a workload an autoscaler manages unless allowed, and a count changed since prepare', async () => {
    await bed.deployment('auto', { replicas: 2 });
    bed.api.apply({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'auto', namespace: 'shop' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'auto' }, minReplicas: 2, maxReplicas: 5 } });
    await assert.rejects(scale.prepare(bed.faultContext(), parsedAttrs(scale, { workload: 'deployment/auto', replicas: 1 })), /Deployment shop\/auto is managed by HorizontalPodAutoscaler auto, which would undo or fight the fault; set allowAutoscaler: true/);
    const ctx = bed.faultContext();
    const state = await scale.prepare(ctx, parsedAttrs(scale, { workload: 'deployment/auto', replicas: 1, allowAutoscaler: true }));
    bed.api.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'auto', namespace: 'shop' }, spec: { ...bed.api.store.get('apps', 'deployments', 'shop', 'auto')!.spec, replicas: 4 } });
    await assert.rejects(scale.apply(ctx, state), /changed from 2 to 4 replicas since the fault was prepared; not scaling it/);
    await scale.revert(ctx, state);
    assert.equal(bed.api.store.get('apps', 'deployments', 'shop', 'auto')!.spec.replicas, 4);
  });

  it('refuses a namespace outside the allow-list before touching anything, and validates its attributes', async () => {
    const limited = await kubernetesDriver.connect({ ...bed.config, namespaces: ['shop'] }, callContext());
    await assert.rejects(scale.prepare(bed.faultContext(limited), parsedAttrs(scale, { workload: 'deployment/web', namespace: 'kube-system', replicas: 0 })), /namespace "kube-system" is not in target.kubernetes.namespaces/);
    assert.match(parseProblems(scale, { workload: 'daemonset/agent', replicas: 1 }).join(), /workload: is not a Deployment or StatefulSet or ReplicaSet/);
    assert.match(parseProblems(scale, { workload: 'deployment/web' }).join(), /replicas: is required/);
    assert.match(parseProblems(scale, { workload: 'deployment/web', replicas: -1 }).join(), /replicas: must be an integer >= 0/);
  });
});
