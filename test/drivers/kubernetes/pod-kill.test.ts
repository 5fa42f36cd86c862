import { strict as assert } from 'node:assert';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { podKill, type PodKillState } from '../../../src/drivers/kubernetes/faults/pod-kill.js';
import { isFirebreakError } from '../../../src/errors.js';
import { ANNOTATIONS, callContext, eventually, requireKubectl, throughJson, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { parsedAttrs, parseProblems } from './fixtures.js';

describe('kubernetes.pod-kill against the test API server', function () {
  this.timeout(40_000);
  const bed = useKubeTestbed();

  it('deletes the pod by uid; a fresh connection reverts from the JSON state, waiting for the replacement and the ready count; kubectl sees the same', async function () {
    requireKubectl(this);
    await bed.deployment('web', { replicas: 3 });
    const [target] = await bed.targets({ labels: { app: 'web' } });
    const ctx = bed.faultContext();
    const state = await podKill.prepare(ctx, parsedAttrs(podKill, { gracePeriod: '1s', recoveryTimeout: '10s' }), target);
    assert.equal(state.readyBefore, 3);
    assert.deepEqual(state.workload, { kind: 'Deployment', name: 'web', namespace: 'shop' });
    const applied = (await podKill.apply(ctx, state)) as PodKillState;
    assert.ok(applied.killedAt! >= Date.now() - 5_000);
    const del = bed.api.seen.filter((r) => r.method === 'DELETE').at(-1)!;
    assert.deepEqual(del.body, { preconditions: { uid: target!.id }, gracePeriodSeconds: 1 });
    const seen = await bed.kubectl(['get', 'pod', target!.name, '-o', 'json']);
    if (seen.code === 0) assert.ok(JSON.parse(seen.stdout).metadata.deletionTimestamp, 'kubectl sees it terminating');
    else assert.match(seen.stderr, /not found/);

    const fresh = await kubernetesDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    const t0 = Date.now();
    await podKill.revert(freshCtx, throughJson(applied));
    const v = await podKill.verify!(freshCtx, throughJson(applied));
    assert.equal(v.ok, true, v.detail);
    assert.match(v.detail!, /^Deployment shop\/web back to 3\/3 ready, pod web-\S+ replaced; recovered (\d+) ms after the kill$/);
    assert.ok(Date.now() - t0 < 8_000);
    const pods = await bed.kubectlJson(['get', 'pods', '-l', 'app=web']);
    assert.equal(pods.items.length, 3);
    assert.ok(!pods.items.some((p: { metadata: { uid: string } }) => p.metadata.uid === target!.id), 'kubectl no longer sees the killed pod');
    assert.ok(pods.items.every((p: { status: { conditions: { type: string; status: string }[] } }) => p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')));
  });

  it('never hits a StatefulSet replacement of the same name: the uid precondition makes a retried apply a no-op', async () => {
    await bed.statefulSet('db', { replicas: 2 });
    const [target] = await bed.targets({ names: ['db-0'] });
    const ctx = bed.faultContext();
    const state = await podKill.prepare(ctx, parsedAttrs(podKill, { recoveryTimeout: '10s' }), target);
    const applied = (await podKill.apply(ctx, state)) as PodKillState;
    await eventually('db-0 replaced', () => {
      const p = bed.api.store.get('', 'pods', 'shop', 'db-0');
      return Boolean(p && p.metadata.uid !== target!.id && p.status?.phase === 'Running');
    });
    const replacement = bed.api.store.get('', 'pods', 'shop', 'db-0')!;
    await podKill.apply(ctx, state); // a retry after a crash: refused by the server (409), taken as done
    assert.equal(bed.api.seen.filter((r) => r.method === 'DELETE').at(-1)!.status, 409);
    assert.equal(bed.api.store.get('', 'pods', 'shop', 'db-0')!.metadata.uid, replacement.metadata.uid, 'the replacement is untouched');
    await podKill.revert(ctx, applied);
    assert.equal((await podKill.verify!(ctx, applied)).ok, true);
  });

  it('evicts through the eviction subresource when asked', async () => {
    await bed.deployment('ev', { replicas: 2 });
    const [target] = await bed.targets({ labels: { app: 'ev' } });
    const ctx = bed.faultContext();
    const applied = (await podKill.apply(ctx, await podKill.prepare(ctx, parsedAttrs(podKill, { mode: 'evict', recoveryTimeout: '10s' }), target))) as PodKillState;
    const post = bed.api.seen.filter((r) => r.method === 'POST').at(-1)!;
    assert.equal(post.path, `/api/v1/namespaces/shop/pods/${target!.name}/eviction`);
    assert.equal((post.body as { deleteOptions: { preconditions: { uid: string } } }).deleteOptions.preconditions.uid, target!.id);
    await podKill.revert(ctx, applied);
    assert.equal((await podKill.verify!(ctx, applied)).ok, true);
  });

  it('refuses to break a PodDisruptionBudget: at prepare when deleting, and the server refuses an eviction (429) as FIREBREAK_E_DISRUPTION_BUDGET', async () => {
    await bed.deployment('guarded', { replicas: 2 });
    bed.api.apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded', namespace: 'shop' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } } });
    await eventually('the budget status', () => bed.api.store.get('policy', 'poddisruptionbudgets', 'shop', 'guarded')?.status?.expectedPods === 2);
    const [target] = await bed.targets({ labels: { app: 'guarded' } });
    const ctx = bed.faultContext();
    await assert.rejects(podKill.prepare(ctx, parsedAttrs(podKill), target), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_DISRUPTION_BUDGET'), String(err));
      assert.match((err as Error).message, /disrupting 1 ready pod \(guarded-\S+\) would break PodDisruptionBudget shop\/guarded: it allows 0 disruptions now \(2 healthy, 2 required\)/);
      return true;
    });
    const evict = await podKill.prepare(ctx, parsedAttrs(podKill, { mode: 'evict' }), target);
    await assert.rejects(podKill.apply(ctx, evict), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_DISRUPTION_BUDGET') && /Cannot evict pod as it would violate the pod's disruption budget/.test((err as Error).message));
    assert.equal(bed.pods('shop', { app: 'guarded' }).length, 2, 'nothing was killed');
    const allowed = await podKill.prepare(ctx, parsedAttrs(podKill, { ignoreDisruptionBudgets: true }), target);
    assert.equal(allowed.uid, target!.id, 'ignoreDisruptionBudgets lets it through');
  });

  it('the plan check refuses a canary that would break a budget, before anything is touched', async () => {
    await bed.deployment('plan', { replicas: 3 });
    bed.api.apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'plan', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'plan' } } } });
    await eventually('the budget status', () => bed.api.store.get('policy', 'poddisruptionbudgets', 'shop', 'plan')?.status?.disruptionsAllowed === 1);
    const pods = await bed.targets({ labels: { app: 'plan' } });
    const faults = [{ type: 'kubernetes.pod-kill', attrs: parsedAttrs(podKill) }];
    await kubernetesDriver.checkSelection!(bed.conn, { canary: pods.slice(0, 1), control: pods.slice(1) }, faults, callContext());
    await assert.rejects(kubernetesDriver.checkSelection!(bed.conn, { canary: pods.slice(0, 2), control: pods.slice(2) }, faults, callContext()), /disrupting 2 ready pods .* would break PodDisruptionBudget shop\/plan: it allows 1 disruption now \(3 healthy, 2 required\)/);
    await kubernetesDriver.checkSelection!(bed.conn, { canary: pods.slice(0, 2), control: [] }, [{ type: 'kubernetes.pod-kill', attrs: parsedAttrs(podKill, { ignoreDisruptionBudgets: true }) }], callContext());
  });

  it('a workload that never recovers: the revert waits out the window from the kill, and verify fails saying what it saw', async () => {
    await bed.deployment('stuck', { replicas: 2 });
    const [target] = await bed.targets({ labels: { app: 'stuck' } });
    const ctx = bed.faultContext();
    const state = await podKill.prepare(ctx, parsedAttrs(podKill, { recoveryTimeout: '1500ms' }), target);
    // From now on the controller creates no pods: nothing replaces the one killed.
    assert.equal((await bed.kubectl(['annotate', 'deployment', 'stuck', `${ANNOTATIONS.noReplace}=true`])).code, 0);
    const applied = (await podKill.apply(ctx, state)) as PodKillState;
    const t0 = Date.now();
    await podKill.revert(ctx, applied);
    const waited = Date.now() - t0;
    assert.ok(waited >= 1_000 && waited < 4_000, `waited ${waited} ms`);
    const v = await podKill.verify!(ctx, applied);
    assert.equal(v.ok, false);
    assert.match(v.detail!, /^Deployment shop\/stuck: 1\/2 ready \(2 needed\), \d+(\.\d+)?s after the kill \(recovery window 1\.5s\)$/);
    const again = Date.now();
    await podKill.revert(ctx, applied);
    assert.ok(Date.now() - again < 1_000, 'a retry after the window does not wait again');
  });

  it('refuses a pod no controller would replace, and reverts cleanly when apply never ran', async () => {
    bed.api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare', namespace: 'shop', labels: { app: 'bare' } }, spec: { containers: [{ name: 'a', image: 'busybox' }] } });
    await eventually('the bare pod to run', () => bed.api.store.get('', 'pods', 'shop', 'bare')?.status?.phase === 'Running');
    const [bare] = await bed.targets({ names: ['bare'] });
    await assert.rejects(podKill.prepare(bed.faultContext(), parsedAttrs(podKill), bare), /pod shop\/bare has no controller: nothing would replace it/);
    await bed.deployment('never', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'never' } });
    const ctx = bed.faultContext();
    const state = await podKill.prepare(ctx, parsedAttrs(podKill), target);
    await podKill.revert(ctx, state);
    assert.deepEqual(await podKill.verify!(ctx, state), { ok: true, detail: 'the pod was never killed' });
    assert.equal(bed.pods('shop', { app: 'never' })[0]!.metadata.uid, target!.id);
  });

  it('validates its attributes', () => {
    assert.match(parseProblems(podKill, { mode: 'shoot' }).join(), /mode: must be delete or evict/);
    assert.match(parseProblems(podKill, { grace: '1s' }).join(), /grace: unknown attribute/);
    assert.match(parseProblems(podKill, { recoveryTimeout: 'soon' }).join(), /recoveryTimeout: is not a duration/);
    assert.match(parseProblems(podKill, { ignoreDisruptionBudgets: 'yes' }).join(), /ignoreDisruptionBudgets: must be true or false/);
    assert.equal(podKill.budgetMs!({ recoveryTimeoutMs: 60_000 } as PodKillState), 70_000);
  });
});
