import { strict as assert } from 'node:assert';
import { selectTargets } from '../../../src/cohort/select.js';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { matchesPod, parseKubernetesSelector } from '../../../src/drivers/kubernetes/selector.js';
import { listKubernetesTargets } from '../../../src/drivers/kubernetes/targets.js';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import type { Target } from '../../../src/faults/types.js';
import { ANNOTATIONS, callContext, eventually, requireKubectl, useKubeTestbed } from '../../helpers/kube-api/index.js';

const names = (ts: Target[]): string[] => ts.map((t) => t.name).sort();

describe('Kubernetes targets: pods by namespace, labels, fields, owner, phase and readiness', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();
  const list = (selector: Record<string, unknown>): Promise<Target[]> => listKubernetesTargets({ signal: new AbortController().signal, timeoutMs: 5_000, connection: bed.conn }, selector);

  before(async () => {
    await bed.deployment('web', { replicas: 3, labels: { tier: 'front' } });
    await bed.statefulSet('db', { replicas: 2, labels: { tier: 'data' } });
    await bed.daemonSet('agent', { labels: { tier: 'infra' } });
    await bed.deployment('pay', { replicas: 2, labels: { tier: 'front' } }, 'pay');
    bed.api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely', namespace: 'shop', labels: { app: 'lonely' } }, spec: { nodeName: 'node-c', containers: [{ name: 'a', image: 'busybox:1.36' }] } });
    bed.api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: 'shop', labels: { app: 'pending' }, annotations: { [ANNOTATIONS.stayPending]: 'true' } }, spec: { containers: [{ name: 'a', image: 'busybox:1.36' }] }, status: { phase: 'Pending' } });
    await eventually('the bare pod to run', () => bed.api.store.get('', 'pods', 'shop', 'lonely')?.status?.phase === 'Running');
  });

  it('a target is a pod: id is its uid; meta has namespace, node, phase, readiness, owner and workload (a Deployment through its ReplicaSet)', async () => {
    const [t] = await list({ labels: { app: 'web' } });
    const pod = bed.api.store.get('', 'pods', 'shop', t!.name)!;
    assert.equal(t!.id, pod.metadata.uid);
    assert.equal(t!.driver, 'kubernetes');
    assert.deepEqual({ ...t!.meta, owner: undefined, node: undefined, restarts: undefined }, {
      namespace: 'shop', pod: t!.name, uid: pod.metadata.uid, serviceAccount: 'default', phase: 'Running', ready: true, owner: undefined, node: undefined, restarts: undefined,
      workload: { kind: 'Deployment', name: 'web', namespace: 'shop' }, image: 'nginx:1.25', images: ['nginx:1.25'],
    });
    assert.equal((t!.meta!.owner as { kind: string }).kind, 'ReplicaSet');
  });

  it('selects by labels, a set-based labelSelector, names, a name pattern, and an image', async () => {
    assert.equal((await list({ labels: { tier: 'front' } })).length, 3, 'the context namespace only');
    assert.equal((await list({ labels: { tier: 'front' }, namespaces: ['shop', 'pay'] })).length, 5);
    assert.equal((await list({ labelSelector: 'tier in (data,infra)' })).length, 5);
    assert.equal((await list({ labelSelector: 'tier,tier notin (front)' })).length, 5);
    assert.deepEqual(names(await list({ names: ['db-1', 'lonely'] })), ['db-1', 'lonely']);
    assert.deepEqual(names(await list({ namePattern: 'db-*' })), ['db-0', 'db-1']);
    assert.deepEqual(names(await list({ namePattern: '/^db-[1]$/' })), ['db-1']);
    assert.deepEqual(names(await list({ image: 'busybox' })), ['lonely']);
  });

  it('selects by owner: a Deployment (through its ReplicaSet), a StatefulSet, a DaemonSet', async () => {
    assert.equal((await list({ owner: 'deployment/web' })).length, 3);
    assert.deepEqual(names(await list({ owner: 'sts/db' })), ['db-0', 'db-1']);
    const agents = await list({ owner: 'daemonset/agent' });
    assert.deepEqual(agents.map((t) => t.meta!.node).sort(), ['node-a', 'node-b', 'node-c']);
    assert.equal((await list({ owner: 'deployment/nope' })).length, 0);
  });

  it('selects by field selector (the server filters), phase (Running by default) and readiness', async () => {
    const onC = await list({ fieldSelector: 'spec.nodeName=node-c' });
    assert.ok(onC.length >= 2 && onC.every((t) => t.meta!.node === 'node-c'), names(onC).join(','));
    assert.ok(!names(await list({})).includes('pending'), 'Running only by default');
    assert.deepEqual(names(await list({ phase: 'Pending' })), ['pending']);
    assert.ok(names(await list({ phase: ['Running', 'Pending'] })).includes('pending'));
    assert.equal((await list({ ready: false, labels: { app: 'web' } })).length, 0);
    const podList = bed.api.seen.filter((r) => r.path === '/api/v1/namespaces/shop/pods' && r.verb === 'list').at(-1)!;
    assert.equal(podList.query.labelSelector, 'app=web');
    assert.equal(podList.query.fieldSelector, 'status.phase=Running');
  });

  it('kubectl lists the same pods for the same selector', async function () {
    requireKubectl(this);
    const ours = names(await list({ labels: { tier: 'front' }, namespaces: ['shop', 'pay'] }));
    const theirs = await bed.kubectlJson(['get', 'pods', '-A', '-l', 'tier=front', '--field-selector', 'status.phase=Running']);
    assert.deepEqual(theirs.items.map((p: { metadata: { name: string } }) => p.metadata.name).sort(), ours);
  });

  it('a namespace outside the allow-list, or one that does not exist, is FIREBREAK_E_KUBERNETES_NAMESPACE', async () => {
    const allowList = await kubernetesDriver.connect({ ...bed.config, namespaces: ['shop'] }, callContext());
    await assert.rejects(kubernetesDriver.listTargets!(allowList, { namespaces: ['pay'] }, callContext()), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_KUBERNETES_NAMESPACE') && /namespace "pay" is not in target.kubernetes.namespaces \(shop\)/.test((err as Error).message));
    await assert.rejects(list({ namespaces: ['ghost'] }), /namespace "ghost" does not exist/);
    assert.equal((await kubernetesDriver.listTargets!(allowList, { labels: { app: 'web' } }, callContext())).length, 3, 'the allow-list is the default scope');
  });

  describe('the target cohort over listed pods', () => {
    let pods: Target[];
    before(async () => (pods = await list({ namespaces: ['shop', 'pay'], labels: { tier: 'front' } })));
    const select = (spec: Parameters<typeof selectTargets>[1]) => selectTargets(pods, { ...spec, matches: matchesPod }, {});

    it('one, all, fixed, percent (rounded up) and random-max-percent, repeatable by seed', () => {
      assert.equal(select({ mode: 'one', seed: 's' }).canary.length, 1);
      assert.equal(select({ mode: 'all' }).canary.length, 5);
      assert.equal(select({ mode: 'fixed', value: 2, seed: 's' }).canary.length, 2);
      assert.equal(select({ mode: 'percent', value: 50, seed: 's' }).canary.length, 3);
      const r = select({ mode: 'random-max-percent', value: 60, seed: 's' }).canary.length;
      assert.ok(r >= 1 && r <= 3);
      assert.deepEqual(select({ mode: 'percent', value: 40, seed: 'x' }).canary, select({ mode: 'percent', value: 40, seed: 'x' }).canary);
      const seeds = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((seed) => names(select({ mode: 'one', seed }).canary).join()));
      assert.ok(seeds.size > 1, 'different seeds pick different pods');
    });

    it('protect takes Kubernetes keys (owner, namespaces, names without namespace) and never selects those pods', () => {
      const s = select({ mode: 'all', protect: { owner: 'deployment/pay' } });
      assert.deepEqual(s.canary.map((t) => t.meta!.namespace), ['shop', 'shop', 'shop'].slice(0, s.canary.length));
      assert.equal(s.protected.length, 2);
      const byName = select({ mode: 'all', protect: { names: [pods[0]!.name] } });
      assert.ok(!byName.canary.some((t) => t.id === pods[0]!.id));
      assert.equal(select({ mode: 'all', protect: { namespaces: ['pay'] } }).canary.length, 3);
    });

    it('the blast radius refuses a canary over the count or the fraction', () => {
      assert.throws(() => select({ mode: 'all', maxBlastRadius: { count: 2 } }), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_BLAST_RADIUS') && /touch 5 targets of 5 matching/.test((err as Error).message));
      assert.throws(() => select({ mode: 'fixed', value: 3, maxBlastRadius: { fraction: 0.5 } }), /allows at most 2/);
    });
  });

  describe('selector validation (parseSelector)', () => {
    const problems = (raw: Record<string, unknown>): string[] => {
      const issues = collectIssues();
      parseKubernetesSelector(raw, issues);
      return issues.issues.map((i) => `${i.path}: ${i.message}`);
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ lables: { app: 'x' } }, /^lables: unknown selector key "lables"/],
      [{ labels: { tier: 1 } }, /^labels: the value of "tier" must be a string/],
      [{ labelSelector: 'app in (a' }, /^labelSelector: cannot read the requirement/],
      [{ fieldSelector: 'status.podIP=1.2.3.4' }, /^fieldSelector: field "status.podIP" is not supported/],
      [{ owner: 'cronjob/x' }, /^owner: is not a workload: "cronjob\/x"/],
      [{ phase: 'Runing' }, /^phase: must be a pod phase/],
      [{ ready: 'yes' }, /^ready: must be true or false/],
      [{ namespaces: ['Shop'] }, /^namespaces\[0\]: is not a namespace name/],
      [{ namePattern: '/[/' }, /^namePattern: /],
      [{ names: [] }, /^names: must be a non-empty list/],
    ];
    for (const [raw, re] of cases) it(`refuses ${JSON.stringify(raw)}`, () => assert.match(problems(raw).join('\n'), re));
    it('accepts every key in its right form', () => assert.deepEqual(problems({ names: ['a'], namePattern: 'web-*', labels: { a: 'b' }, labelSelector: 'a=b,!c', fieldSelector: 'spec.nodeName=n', namespaces: ['shop'], owner: 'deploy/web', phase: ['Running'], ready: true, image: 'nginx' }), []));
  });
});
