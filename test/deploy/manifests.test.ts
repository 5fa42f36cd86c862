import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubernetesDriver } from '../../src/drivers/kubernetes/driver.js';
import { meshDelay } from '../../src/drivers/kubernetes/faults/mesh-delay.js';
import { partition } from '../../src/drivers/kubernetes/faults/partition.js';
import { podFailure } from '../../src/drivers/kubernetes/faults/pod-failure.js';
import { podKill } from '../../src/drivers/kubernetes/faults/pod-kill.js';
import { scale } from '../../src/drivers/kubernetes/faults/scale.js';
import { eventsProbe } from '../../src/drivers/kubernetes/probes/events.js';
import { podMetricsProbe } from '../../src/drivers/kubernetes/probes/metrics.js';
import { podsProbe } from '../../src/drivers/kubernetes/probes/pods.js';
import { workloadProbe } from '../../src/drivers/kubernetes/probes/workload.js';
import { buildExperimentObject } from '../../src/experiment/loader.js';
import { loadSuiteFile } from '../../src/suite/load.js';
import { loadSuiteExperiments } from '../../src/suite/run.js';
import { formatIssue } from '../../src/experiment/issues.js';
import { isFirebreakError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ROOT } from '../helpers/cli.js';
import { fieldProblems } from '../helpers/kube-api/openapi.js';
import { callContext, clientDryRunFlags, requireKubectl, useKubeTestbed } from '../helpers/kube-api/index.js';
import { parsedAttrs } from '../drivers/kubernetes/fixtures.js';

const DEPLOY = join(ROOT, 'deploy');
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));
const manifests = (): { file: string; doc: any }[] => files(DEPLOY).flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => ({ file, doc: d.toJS() })).filter((m) => m.doc));
const find = (kind: string, name?: string): any => manifests().find((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata.name === name))!.doc;

describe('deploy/: firebreak in the cluster', function () {
  this.timeout(60_000);
  const bed = useKubeTestbed({ namespaces: ['default', 'kube-system', 'firebreak'] });

  it('kubectl apply --dry-run=client and --dry-run=server accept every manifest (strict field validation against the Kubernetes schema)', async function () {
    requireKubectl(this);
    for (const [mode, flags] of [['client', clientDryRunFlags()], ['server', ['--dry-run=server']]] as const) {
      const r = await bed.kubectl(['apply', ...flags, '-R', '-f', DEPLOY]);
      assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
      for (const line of ['namespace/firebreak', 'serviceaccount/firebreak', 'role.rbac.authorization.k8s.io/firebreak-observe', 'rolebinding.rbac.authorization.k8s.io/firebreak-self', 'clusterrole.rbac.authorization.k8s.io/firebreak-cluster-read', 'persistentvolumeclaim/firebreak-ledger', 'configmap/firebreak-experiments', 'configmap/firebreak-suite', 'cronjob.batch/firebreak-gameday']) {
        assert.ok(r.stdout.includes(line), `${mode} dry run lists ${line}:\n${r.stdout}`);
      }
    }
    assert.equal(bed.api.store.get('batch', 'cronjobs', 'firebreak', 'firebreak-gameday'), undefined, 'a dry run stores nothing');
  });

  it('every manifest has only fields of the Kubernetes schema (client-node\'s models of it), of the right types', async () => {
    for (const { file, doc } of manifests()) {
      const [group, version] = String(doc.apiVersion).includes('/') ? String(doc.apiVersion).split('/') : ['', String(doc.apiVersion)];
      assert.deepEqual(await fieldProblems(group!, version!, doc.kind, doc), [], `${file}: ${doc.kind} ${doc.metadata.name}`);
    }
    assert.deepEqual(await fieldProblems('batch', 'v1', 'CronJob', { spec: { schedul: 'x', jobTemplate: { spec: { backoffLimit: '0' } } } }), ['unknown field "spec.schedul"', 'spec.jobTemplate.spec.backoffLimit: expected a number, got "0"'], 'the check itself finds mistakes');
  });

  it('the CronJob: weekly in a time zone, never concurrent, never retried, recover first, the ledger on the claim, grace to revert', () => {
    const cj = find('CronJob');
    assert.equal(cj.spec.concurrencyPolicy, 'Forbid');
    assert.match(cj.spec.timeZone, /^[A-Z][A-Za-z_]+\/[A-Za-z_]+$/);
    assert.match(cj.spec.schedule, /^\d+ \d+ \* \* [0-6]$/, 'once a week');
    const job = cj.spec.jobTemplate.spec;
    assert.equal(job.backoffLimit, 0);
    const pod = job.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.serviceAccountName, find('ServiceAccount').metadata.name);
    assert.deepEqual(pod.initContainers.map((c: { args: string[] }) => c.args), [['recover', '--sweep']]);
    assert.equal(pod.containers[0].args[0], 'suite', 'the game day runs a suite');
    const suiteMount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'suite').mountPath as string;
    const suiteData = find('ConfigMap', pod.volumes.find((v: { name: string }) => v.name === 'suite').configMap.name).data as Record<string, string>;
    assert.ok(Object.keys(suiteData).some((k) => pod.containers[0].args[1] === `${suiteMount}/${k}`), 'the suite file is the ConfigMap\'s, where it is mounted');
    const ledger = pod.containers[0].env.find((e: { name: string }) => e.name === 'FIREBREAK_LEDGER').value as string;
    const claim = pod.volumes.find((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim);
    assert.equal(claim.persistentVolumeClaim.claimName, find('PersistentVolumeClaim').metadata.name);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      const mount = c.volumeMounts.find((m: { name: string }) => m.name === claim.name);
      assert.ok(ledger.startsWith(`${mount.mountPath}/`), `${c.name} has the ledger on the claim`);
      assert.equal(c.env.find((e: { name: string }) => e.name === 'FIREBREAK_POD_NAMESPACE').valueFrom.fieldRef.fieldPath, 'metadata.namespace');
      assert.equal(c.image, pod.containers[0].image, 'init and main run the same image');
    }
    // The grace period covers the slowest revert of the experiments it runs: a pod kill's recovery window plus its calls.
    const experiments = find('ConfigMap', 'firebreak-experiments').data as Record<string, string>;
    let slowest = 0;
    for (const text of Object.values(experiments)) {
      const loaded = buildExperimentObject(parseAllDocuments(text)[0]!.toJS(), {});
      for (const f of loaded.experiment!.faults) if (f.type === 'kubernetes.pod-kill') slowest = Math.max(slowest, (f.attrs as { recoveryTimeoutMs: number }).recoveryTimeoutMs);
    }
    assert.ok(pod.terminationGracePeriodSeconds * 1000 >= slowest + 60_000, `grace ${pod.terminationGracePeriodSeconds}s for a ${slowest} ms recovery window`);
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /ENTRYPOINT \["firebreak"\]/, 'the image runs firebreak with the container\'s args');
    assert.match(dockerfile, /--uid 10001/);
    assert.equal(pod.securityContext.runAsUser, 10001);
  });

  it('the ConfigMaps\' suite and experiments validate; the suite\'s pattern takes every experiment where they are mounted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-suite-'));
    try {
      const pod = find('CronJob').spec.jobTemplate.spec.template.spec;
      const experimentsMount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'experiments').mountPath as string;
      const [suiteName, suiteText] = Object.entries(find('ConfigMap', 'firebreak-suite').data as Record<string, string>)[0]!;
      const experiments = find('ConfigMap', 'firebreak-experiments').data as Record<string, string>;
      mkdirSync(join(dir, 'experiments'));
      for (const [name, text] of Object.entries(experiments)) writeFileSync(join(dir, 'experiments', name), text);
      writeFileSync(join(dir, suiteName), suiteText.replaceAll(`${experimentsMount}/`, `${join(dir, 'experiments')}/`));
      const { suite, issues } = loadSuiteFile(join(dir, suiteName));
      assert.deepEqual(issues.map(formatIssue), []);
      assert.equal(suite!.kind, 'game-day');
      const loaded = loadSuiteExperiments(suite!);
      assert.deepEqual(loaded.issues.map(formatIssue), []);
      assert.deepEqual(loaded.loaded.map((l) => l.source.split('/').pop()).sort(), Object.keys(experiments).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const [name, text] of Object.entries(find('ConfigMap', 'firebreak-experiments').data as Record<string, string>)) {
      const loaded = buildExperimentObject(parseAllDocuments(text)[0]!.toJS(), {});
      assert.deepEqual(loaded.issues.map(formatIssue), [], name);
    }
  });

  it('the Roles are enough for every fault, probe and sweep, and deny what they do not grant (RBAC enforced by the test server)', async () => {
    bed.api.createNamespace('shop');
    const rbac = manifests().filter((m) => /rbac|serviceaccount|namespace/.test(m.file) && !m.file.includes('optional')).map((m) => m.doc);
    bed.api.apply(...rbac);
    const token = bed.api.tokenFor('firebreak', 'firebreak');
    const conn = await kubernetesDriver.connect(bed.parseConfig({ kubeconfig: bed.kubeconfigFor('sa', { token, namespace: 'shop' }), namespaces: ['shop'] }), callContext());
    await bed.deployment('web', { replicas: 3 });
    bed.api.apply({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'shop' }, spec: { hosts: ['web'], http: [{ name: 'main', route: [{ destination: { host: 'web' } }] }] } });
    const targets = await kubernetesDriver.listTargets!(conn, { owner: 'deployment/web' }, callContext());
    const ctx = () => bed.faultContext(conn);
    const cycle = async (fault: typeof podKill | typeof partition | typeof podFailure | typeof scale | typeof meshDelay, raw: Record<string, unknown>, target?: (typeof targets)[number]) => {
      const c = ctx();
      const f = fault as unknown as { prepare: Function; apply: Function; revert: Function; verify: Function; parse: Function };
      const state = await f.prepare(c, parsedAttrs(fault as never, raw), target);
      const applied = (await f.apply(c, state)) ?? state;
      await f.revert(c, applied);
      const v = await f.verify(c, applied);
      assert.equal(v.ok, true, `${fault.type}: ${v.detail}`);
    };
    await kubernetesDriver.checkSelection!(conn, { canary: targets.slice(0, 1), control: targets.slice(1) }, [{ type: 'kubernetes.pod-kill', attrs: {} }], callContext());
    await cycle(partition, {}, targets[0]);
    await cycle(podFailure, { recoveryTimeout: '10s' }, targets[1]);
    await cycle(scale, { workload: 'deployment/web', replicas: 2 });
    await cycle(meshDelay, { virtualService: 'web', delay: '100ms' });
    // Listed again: scaling back down removed one of the pods listed before (the newest).
    await cycle(podKill, { recoveryTimeout: '10s' }, (await kubernetesDriver.listTargets!(conn, { owner: 'deployment/web' }, callContext()))[0]);
    await cycle(podKill, { mode: 'evict', recoveryTimeout: '10s' }, (await kubernetesDriver.listTargets!(conn, { owner: 'deployment/web' }, callContext()))[0]);
    const [claimed] = await kubernetesDriver.listTargets!(conn, { owner: 'deployment/web' }, callContext());
    await kubernetesDriver.claimTarget!(conn, claimed!, { runId: 'r', instanceId: 'r-0-0', holder: 'h', expiresAt: new Date(Date.now() + 60_000).toISOString() }, callContext());
    await kubernetesDriver.releaseTarget!(conn, claimed!, { runId: 'r', instanceId: 'r-0-0', holder: 'h', expiresAt: '' }, callContext());
    const probeCtx = { signal: new AbortController().signal, logger: silentLogger(), runId: 'rbac', timeoutMs: 5_000, connection: conn, baseDir: '.', targets: { canary: targets.slice(0, 1), control: targets.slice(1) } };
    await workloadProbe.run(probeCtx, parsedAttrs(workloadProbe, { workload: 'deployment/web' }));
    await podsProbe.run(probeCtx, {});
    await eventsProbe.run(probeCtx, parsedAttrs(eventsProbe));
    await podMetricsProbe.run(probeCtx, {});
    assert.deepEqual(await kubernetesDriver.sweep!(conn, { isRunLive: () => false, now: Date.now() }, { ...callContext(), purpose: 'recover' }), []);
    // And no more than that: the service account cannot touch another namespace or delete a deployment.
    bed.api.createNamespace('other');
    await assert.rejects(kubernetesDriver.listTargets!(await kubernetesDriver.connect(bed.parseConfig({ kubeconfig: bed.kubeconfigFor('sa2', { token, namespace: 'other' }) }), callContext()), {}, callContext()), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_KUBERNETES_FORBIDDEN') && /no permission to list pods in namespace "other"/.test((err as Error).message));
    await assert.rejects(conn.apps.deleteNamespacedDeployment({ namespace: 'shop', name: 'web' }), /403/);
    bed.api.apply({ ...find('Role', 'firebreak-pod-kill'), rules: [{ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] }] });
    const [t] = await kubernetesDriver.listTargets!(conn, { owner: 'deployment/web' }, callContext());
    const c = ctx();
    await assert.rejects(podKill.apply(c, await podKill.prepare(c, parsedAttrs(podKill), t)), /no permission to delete pods in namespace "shop"/);
  });
});
