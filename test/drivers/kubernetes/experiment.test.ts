import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExperiment } from '../../../src/engine/run.js';
import { Ledger, openFaultsOf } from '../../../src/engine/ledger.js';
import { formatIssue } from '../../../src/experiment/issues.js';
import { loadExperimentFile } from '../../../src/experiment/loader.js';
import { PAUSE_IMAGE } from '../../../src/drivers/kubernetes/faults/pod-failure.js';
import { decidedRun } from '../../helpers/decided.js';
import { ROOT, runCli, startCli, tempDir, waitCli, waitFor } from '../../helpers/cli.js';
import { eventually, requireKubectl, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { startEndpointService, startMeshGateway } from '../../helpers/kube-api/traffic.js';

describe('Kubernetes experiments end to end (test API server, kubectl as a second client)', function () {
  this.timeout(90_000);
  const bed = useKubeTestbed();
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());
  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(['--ledger', join(tmp.dir, 'ledger.jsonl'), ...args], { cwd: tmp.dir, env: { KUBECONFIG: bed.kubeconfig, ...extraEnv }, timeoutMs: 60_000 });

  it('experiments/kubernetes-pod-kill.yaml: kills a third of deployment/web under load and holds; the journal has the recovery time; kubectl sees the replacement', async function () {
    requireKubectl(this);
    await bed.deployment('web', { replicas: 3 });
    const service = await startEndpointService(bed.api, 'shop', { app: 'web' });
    try {
      const before = bed.pods('shop', { app: 'web' }).map((p) => p.metadata.uid);
      const loaded = loadExperimentFile(join(ROOT, 'experiments', 'kubernetes-pod-kill.yaml'), { vars: { web_url: service.url, namespace: 'shop' } });
      assert.deepEqual(loaded.issues.map(formatIssue), []);
      const e = loaded.experiment!;
      e.target.kubernetes = bed.parseConfig({ kubeconfig: bed.kubeconfig, namespaces: ['shop'] });
      const result = await decidedRun(() => runExperiment(e, { ledgerPath: join(tmp.dir, 'ledger.jsonl') }));
      assert.equal(result.status, 'held', `${result.journal.verdict.reason}\n${JSON.stringify(result.journal.errors)}`);
      const plan = result.journal.plan!.targets!;
      assert.deepEqual([plan.canary.length, plan.control.length], [1, 2]);
      const fault = result.journal.faults[0]!;
      assert.equal(fault.verified, true);
      assert.match(fault.verifyDetail!, /^Deployment shop\/web back to 3\/3 ready, pod web-\S+ replaced; recovered \d+ ms after the kill$/);
      const recoveryMs = Number(/recovered (\d+) ms/.exec(fault.verifyDetail!)![1]);
      assert.ok(recoveryMs > 0 && recoveryMs < 30_000, `recovery ${recoveryMs} ms`);
      const pods = await bed.kubectlJson(['get', 'pods', '-l', 'app=web']);
      const uids = pods.items.map((p: { metadata: { uid: string } }) => p.metadata.uid);
      assert.equal(uids.length, 3);
      assert.ok(!uids.includes(plan.canary[0]!.id), 'the killed pod is gone');
      assert.deepEqual(uids.filter((u: string) => before.includes(u)).sort(), plan.control.map((t) => t.id).sort(), 'the control pods were not touched');
      assert.deepEqual(openFaultsOf(Ledger.readEntries(join(tmp.dir, 'ledger.jsonl'))), []);
    } finally {
      await service.close();
    }
  });

  it('experiments/kubernetes-mesh-canary-delay.yaml: only the canary cohort is delayed, through the VirtualService; the route is removed after', async function () {
    requireKubectl(this);
    const routes = [{ name: 'checkout', match: [{ uri: { prefix: '/checkout' } }], route: [{ destination: { host: 'checkout' } }] }];
    bed.api.apply({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'checkout', namespace: 'shop' }, spec: { hosts: ['checkout'], http: routes } });
    const gateway = await startMeshGateway(bed.api, 'shop', 'checkout');
    try {
      const loaded = loadExperimentFile(join(ROOT, 'experiments', 'kubernetes-mesh-canary-delay.yaml'), { vars: { shop_url: gateway.url, namespace: 'shop' } });
      assert.deepEqual(loaded.issues.map(formatIssue), []);
      const e = loaded.experiment!;
      e.target.kubernetes = bed.parseConfig({ kubeconfig: bed.kubeconfig, namespaces: ['shop'] });
      const result = await decidedRun(() => runExperiment(e, { ledgerPath: join(tmp.dir, 'ledger.jsonl') }));
      assert.equal(result.status, 'held', `${result.journal.verdict.reason}\n${JSON.stringify(result.journal.errors)}`);
      const during = result.journal.phases.find((p) => p.phase === 'during')!.signals.shop!;
      assert.ok(during.canary!.latency.p50 >= 290, `canary p50 ${during.canary!.latency.p50} ms`);
      assert.ok(during.control!.latency.p50 < 100, `control p50 ${during.control!.latency.p50} ms`);
      const vs = await bed.kubectlJson(['get', 'virtualservice', 'checkout']);
      assert.deepEqual(vs.spec.http, routes, 'exactly the user\'s routes are left');
    } finally {
      await gateway.close();
    }
  });

  it('kill -9 mid-run: `firebreak recover` deletes the NetworkPolicy, restores the scale and the images; kubectl sees each step', async function () {
    requireKubectl(this);
    await bed.deployment('cart', { replicas: 3 });
    const file = join(tmp.dir, 'gameday.yaml');
    writeFileSync(file, [
      'title: Three faults, then killed',
      'target: { kubernetes: { namespaces: [shop] } }',
      'cohort:',
      '  targets: { driver: kubernetes, selector: { owner: deployment/cart }, mode: fixed, value: 2, seed: k9 }',
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      '  - { type: kubernetes.partition, direction: ingress }',
      '  - { type: kubernetes.pod-failure }',
      '  - { type: kubernetes.scale, workload: deployment/cart, replicas: 5 }',
      '',
    ].join('\n'));
    const ledger = join(tmp.dir, 'ledger.jsonl');
    const child = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir, env: { KUBECONFIG: bed.kubeconfig } });
    await waitFor('five faults applied', () => Ledger.readEntries(ledger).filter((x) => x.event === 'applied').length === 5, 40_000);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);

    const policies = await bed.kubectlJson(['get', 'networkpolicies', '-l', 'app.kubernetes.io/managed-by=firebreak']);
    assert.equal(policies.items.length, 2);
    assert.equal((await bed.kubectl(['get', 'deployment', 'cart', '-o', 'jsonpath={.spec.replicas}'])).stdout, '5');
    const paused = await bed.kubectlJson(['get', 'pods', '-l', 'firebreak.dev/pod-failure']);
    assert.equal(paused.items.length, 2);
    assert.ok(paused.items.every((p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0]!.image === PAUSE_IMAGE));

    const r = await cli(['recover']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /5 of 5 fault\(s\) reverted/);
    assert.equal((await bed.kubectl(['get', 'networkpolicies', '-o', 'name'])).stdout.trim(), '');
    assert.equal((await bed.kubectl(['get', 'deployment', 'cart', '-o', 'jsonpath={.spec.replicas}'])).stdout, '3');
    const images = (await bed.kubectl(['get', 'pods', '-l', 'app=cart', '-o', 'jsonpath={.items[*].spec.containers[*].image}'])).stdout.split(' ');
    assert.ok(images.length >= 3 && images.every((i) => i === 'nginx:1.25'), images.join(' '));
    assert.equal((await bed.kubectl(['get', 'pods', '-l', 'firebreak.dev/run', '-o', 'name'])).stdout.trim(), '', 'no pod carries a firebreak mark');
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
    await eventually('three ready cart pods', () => bed.readyPods('shop', { app: 'cart' }).length === 3);
  });

  it('inject kubernetes.partition --label ... --namespace ... --mode one: one pod partitioned for the duration, then reverted', async function () {
    requireKubectl(this);
    await bed.deployment('inj', { replicas: 2 });
    const child = startCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'inject', 'kubernetes.partition', '--direction', 'ingress', '--label', 'app=inj', '--namespace', 'shop', '--mode', 'one', '--kubeconfig', bed.kubeconfig, '--duration', '10s'], { cwd: tmp.dir });
    const marked = () => bed.pods('shop', { app: 'inj' }).filter((p) => p.metadata.labels?.['firebreak.dev/partition']);
    await eventually('a partitioned pod', () => marked().length > 0, 40_000, 20).catch((e: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${e.message}\n${child.out.stdout}\n${child.out.stderr}`);
    });
    const pod = marked()[0]!;
    const live = await bed.kubectlJson(['get', 'pods', '-l', 'firebreak.dev/partition']);
    assert.deepEqual(live.items.map((p: { metadata: { uid: string } }) => p.metadata.uid), [pod.metadata.uid], 'kubectl sees exactly one of the two pods partitioned');
    const policy = (await bed.kubectlJson(['get', 'networkpolicies'])).items;
    assert.equal(policy.length, 1);
    assert.deepEqual(policy[0].spec.podSelector.matchLabels, { 'firebreak.dev/partition': pod.metadata.labels!['firebreak.dev/partition'] });
    assert.deepEqual(policy[0].spec.policyTypes, ['Ingress']);
    const r = await waitCli(child, 40_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(marked().length, 0);
    assert.equal((await bed.kubectl(['get', 'networkpolicies', '-o', 'name'])).stdout.trim(), '');
    assert.equal((await bed.kubectl(['get', 'pods', '-l', 'firebreak.dev/partition', '-o', 'name'])).stdout.trim(), '');
  });

  it('--dry-run lists the exact pods (namespace/name and uid) and sends nothing but reads', async () => {
    await bed.deployment('plan', { replicas: 4 });
    const file = join(tmp.dir, 'plan.yaml');
    writeFileSync(file, 'title: Plan only\ncohort:\n  targets: { driver: kubernetes, selector: { owner: deployment/plan }, mode: percent, value: 50%, seed: p }\nfaults: [ { type: kubernetes.pod-kill } ]\n');
    const writes = bed.api.seen.filter((s) => s.method !== 'GET').length;
    const r = await cli(['run', '--dry-run', file]);
    assert.equal(r.code, 0, r.stderr);
    const canary = [...r.stdout.matchAll(/^\s+canary\s+shop\/(plan-\S+) \(([0-9a-f-]{12})\)/gm)];
    assert.equal(canary.length, 2, r.stdout);
    const pods = bed.pods('shop', { app: 'plan' });
    for (const [, name, uid] of canary) assert.ok(pods.some((p) => p.metadata.name === name && p.metadata.uid.startsWith(uid!)), `${name} ${uid}`);
    assert.equal(bed.api.seen.filter((s) => s.method !== 'GET').length, writes, 'a dry run writes nothing');
  });

  it('a canary that would break a PodDisruptionBudget is refused at plan time; nothing is ledgered or touched', async () => {
    await bed.deployment('pdb', { replicas: 3 });
    bed.api.apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb', namespace: 'shop' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'pdb' } } } });
    await eventually('the budget', () => bed.api.store.get('policy', 'poddisruptionbudgets', 'shop', 'pdb')?.status?.disruptionsAllowed === 1);
    const file = join(tmp.dir, 'pdb.yaml');
    writeFileSync(file, 'title: Too many\ncohort:\n  targets: { driver: kubernetes, selector: { owner: deployment/pdb }, mode: fixed, value: 2 }\nphases: { before: 100ms, during: 1s, after: 100ms, tick: 100ms }\nfaults: [ { type: kubernetes.pod-kill } ]\n');
    const r = await cli(['run', file]);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /FIREBREAK_E_DISRUPTION_BUDGET: disrupting 2 ready pods .* would break PodDisruptionBudget shop\/pdb: it allows 1 disruption now/);
    assert.deepEqual(Ledger.readEntries(join(tmp.dir, 'ledger.jsonl')), []);
    assert.equal(bed.pods('shop', { app: 'pdb' }).length, 3);
  });

  it('a missing permission fails the run naming the verb and the resource, and reverts what was applied', async () => {
    await bed.deployment('perm', { replicas: 2 });
    const file = join(tmp.dir, 'perm.yaml');
    writeFileSync(file, 'title: No right to delete\ncohort:\n  targets: { driver: kubernetes, selector: { owner: deployment/perm }, mode: one }\nphases: { before: 100ms, during: 1s, after: 100ms, tick: 100ms }\nfaults: [ { type: kubernetes.partition }, { type: kubernetes.pod-kill } ]\n');
    bed.api.deny({ verb: 'delete', resource: 'pods', namespace: 'shop' });
    try {
      const r = await cli(['run', '--json', file]);
      assert.equal(r.code, 4, r.stderr);
      const journal = JSON.parse(r.stdout);
      assert.match(JSON.stringify(journal.errors), /no permission to delete pods in namespace \\"shop\\": pods \\"perm-\S+\\" is forbidden: User \\"kubernetes-admin\\" cannot delete resource \\"pods\\"/);
      assert.equal(journal.faults.find((f: { fault: string }) => f.fault === 'kubernetes.partition').verified, true, 'the partition applied before was reverted');
    } finally {
      bed.api.allowAll();
    }
    assert.equal((await bed.kubectl(['get', 'networkpolicies', '-o', 'name'])).stdout.trim(), '');
  });

  it('recover --sweep finds what a lost ledger left: the expired one whatever its run, a recorded run\'s at once', async () => {
    await bed.deployment('sweep', { replicas: 1 });
    const file = join(tmp.dir, 'sweep.yaml');
    writeFileSync(file, 'title: Partition then die\ncohort:\n  targets: { driver: kubernetes, selector: { owner: deployment/sweep }, mode: one }\nphases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }\nfaults: [ { type: kubernetes.partition, expiresAfter: 12s } ]\n');
    const lost = join(tmp.dir, 'lost.jsonl');
    const child = startCli(['--ledger', lost, 'run', file], { cwd: tmp.dir, env: { KUBECONFIG: bed.kubeconfig } });
    await waitFor('the partition applied', () => Ledger.readEntries(lost).some((x) => x.event === 'applied'), 30_000);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);
    const policy = bed.api.store.list('networking.k8s.io', 'networkpolicies', 'shop')[0]!;
    const expiresAt = Date.parse(policy.metadata.annotations!['firebreak.dev/expires-at']!);
    // Another ledger that never heard of that run: the marks stay until they expire.
    const early = await cli(['recover', '--sweep']);
    assert.ok(Date.now() < expiresAt, 'the first sweep ran before the expiry');
    assert.equal(early.code, 0, early.stderr);
    assert.match(early.stdout, /sweep: nothing left behind/);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 200)));
    const dry = await cli(['recover', '--sweep', '--dry-run']);
    assert.match(dry.stdout, /⌫ swept NetworkPolicy shop\/fb-\S+ \(expired at \S+\): would delete it/);
    const swept = await cli(['recover', '--sweep']);
    assert.equal(swept.code, 0, swept.stdout + swept.stderr);
    assert.match(swept.stdout, /⌫ swept NetworkPolicy shop\/fb-\S+ \(expired at \S+\): delete it/);
    assert.match(swept.stdout, /⌫ swept Pod shop\/sweep-\S+ \(kubernetes\.partition\) \(expired at \S+\): remove the partition label/);
    assert.equal(bed.api.store.list('networking.k8s.io', 'networkpolicies', 'shop').length, 0);
    // The killed run's own ledger reverts it the ordinary way; its sweep then finds nothing.
    const own = await runCli(['--ledger', lost, 'recover', '--sweep'], { cwd: tmp.dir, env: { KUBECONFIG: bed.kubeconfig } });
    assert.equal(own.code, 0, own.stdout + own.stderr);
    assert.match(own.stdout, /1 of 1 fault\(s\) reverted/);
  });
});
