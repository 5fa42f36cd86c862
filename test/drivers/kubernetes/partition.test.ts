import { strict as assert } from 'node:assert';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { partition } from '../../../src/drivers/kubernetes/faults/partition.js';
import { callContext, requireKubectl, throughJson, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { parsedAttrs, parseProblems } from './fixtures.js';

describe('kubernetes.partition against the test API server', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();

  it('labels exactly the canary pod, creates a NetworkPolicy selecting that label with the run, instance and expiry on it; a fresh connection removes both; kubectl sees each step', async function () {
    requireKubectl(this);
    await bed.deployment('web', { replicas: 3 });
    const [target, ...others] = await bed.targets({ labels: { app: 'web' } });
    const ctx = bed.faultContext();
    const state = await partition.prepare(ctx, parsedAttrs(partition, { expiresAfter: '30m' }), target);
    assert.equal(state.policy, `fb-${ctx.instanceId}`);
    await partition.apply(ctx, state);

    const labelled = await bed.kubectlJson(['get', 'pods', '-l', `firebreak.dev/partition=${ctx.instanceId}`]);
    assert.deepEqual(labelled.items.map((p: { metadata: { uid: string } }) => p.metadata.uid), [target!.id], 'exactly the canary pod');
    for (const o of others) assert.equal(bed.api.store.get('', 'pods', 'shop', o.name)!.metadata.labels!['firebreak.dev/partition'], undefined);
    const policy = await bed.kubectlJson(['get', 'networkpolicy', state.policy]);
    assert.deepEqual(policy.metadata.labels, { 'app.kubernetes.io/managed-by': 'firebreak', 'firebreak.dev/run': 'testrun1', 'firebreak.dev/instance': ctx.instanceId });
    assert.ok(Date.parse(policy.metadata.annotations['firebreak.dev/expires-at']) > Date.now() + 25 * 60_000);
    assert.deepEqual(policy.spec, {
      podSelector: { matchLabels: { 'firebreak.dev/partition': ctx.instanceId } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    });
    assert.deepEqual(await partition.verify!(ctx, state), { ok: false, detail: `NetworkPolicy shop/${state.policy} still exists` });

    const fresh = await kubernetesDriver.connect(bed.config, callContext());
    await partition.revert(bed.faultContext(fresh), throughJson(state));
    const policies = await bed.kubectl(['get', 'networkpolicies', '-o', 'name']);
    assert.equal(policies.stdout.trim(), '');
    const pod = await bed.kubectlJson(['get', 'pod', target!.name]);
    assert.deepEqual(Object.keys(pod.metadata.labels).sort(), ['app', 'pod-template-hash']);
    assert.equal((await partition.verify!(ctx, state)).ok, true);
    await partition.revert(ctx, state);
  });

  it('ingress only, egress only, and egress without DNS', async () => {
    await bed.deployment('dir', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'dir' } });
    const specOf = async (raw: Record<string, unknown>) => {
      const ctx = bed.faultContext();
      const s = await partition.prepare(ctx, parsedAttrs(partition, raw), target);
      await partition.apply(ctx, s);
      const spec = bed.api.store.get('networking.k8s.io', 'networkpolicies', 'shop', s.policy)!.spec;
      await partition.revert(ctx, s);
      return { ...spec, podSelector: spec.podSelector.matchLabels['firebreak.dev/partition'] === ctx.instanceId ? 'this instance' : spec.podSelector };
    };
    assert.deepEqual(await specOf({ direction: 'ingress' }), { podSelector: 'this instance', policyTypes: ['Ingress'], ingress: [] });
    const egress = await specOf({ direction: 'egress', allowDns: false });
    assert.deepEqual([egress.policyTypes, egress.egress, egress.ingress], [['Egress'], [], undefined]);
  });

  it('reverts when apply never ran, and when the pod went away', async () => {
    await bed.deployment('away', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'away' } });
    const ctx = bed.faultContext();
    const state = await partition.prepare(ctx, parsedAttrs(partition), target);
    await partition.revert(ctx, state);
    await partition.apply(ctx, state);
    bed.api.cluster.deletePod(bed.api.store.get('', 'pods', 'shop', target!.name)!, 0);
    await partition.revert(ctx, state);
    assert.equal(bed.api.store.get('networking.k8s.io', 'networkpolicies', 'shop', state.policy), undefined);
    assert.match((await partition.verify!(ctx, state)).detail!, /pod away-\S+ gone/);
  });

  it('never deletes a NetworkPolicy of the same name that is not its own', async () => {
    await bed.deployment('foreign', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'foreign' } });
    const ctx = bed.faultContext();
    const state = await partition.prepare(ctx, parsedAttrs(partition), target);
    bed.api.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: state.policy, namespace: 'shop' }, spec: { podSelector: {} } });
    await assert.rejects(partition.apply(ctx, state), /a NetworkPolicy shop\/fb-\S+ exists and is not this instance's/);
    await partition.revert(ctx, state);
    assert.ok(bed.api.store.get('networking.k8s.io', 'networkpolicies', 'shop', state.policy), 'the foreign policy stays');
  });

  it('validates its attributes', () => {
    assert.match(parseProblems(partition, { direction: 'sideways' }).join(), /direction: must be ingress, egress or both/);
    assert.match(parseProblems(partition, { allowDns: 'no' }).join(), /allowDns: must be true or false/);
    assert.match(parseProblems(partition, { expiresAfter: '0s' }).join(), /expiresAfter: must be a positive duration/);
  });
});
