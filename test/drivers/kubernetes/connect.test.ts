import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubeCall } from '../../../src/drivers/kubernetes/client.js';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { podKill } from '../../../src/drivers/kubernetes/faults/pod-kill.js';
import { waitUntil } from '../../../src/drivers/kubernetes/wait.js';
import { isFirebreakError } from '../../../src/errors.js';
import { ROOT } from '../../helpers/cli.js';
import { callContext, startKubeApi, useKubeTestbed, writeKubeconfig } from '../../helpers/kube-api/index.js';
import { otherCa } from '../../helpers/kube-api/tls.js';
import { parsedAttrs } from './fixtures.js';

const execFileP = promisify(execFile);

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('connecting to the Kubernetes API', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();

  it('verifies the server against the kubeconfig CA and reports where it connected', async () => {
    assert.match(bed.conn.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(bed.conn.context, 'kube-api-test');
    assert.equal(bed.conn.defaultNamespace, 'shop');
  });

  it('an API nobody listens on is FIREBREAK_E_DRIVER_UNREACHABLE naming the address and the refusal', async () => {
    const port = await closedPort();
    const file = bed.kubeconfigFor('closed', { server: `https://127.0.0.1:${port}` });
    await assert.rejects(kubernetesDriver.connect(bed.parseConfig({ kubeconfig: file }), callContext()), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_DRIVER_UNREACHABLE'), String(err));
      assert.match((err as Error).message, new RegExp(`Kubernetes API at https://127.0.0.1:${port} did not answer: .*ECONNREFUSED`));
      return true;
    });
  });

  it('an API that never answers is unreachable within the call budget', async () => {
    bed.api.hang(true);
    try {
      const t0 = Date.now();
      await assert.rejects(kubernetesDriver.connect({ ...bed.config, timeoutMs: 400 }, callContext()), /did not answer: no answer within 400 ms/);
      assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
    } finally {
      bed.api.hang(false);
    }
  });

  it('every call after connecting has a timeout, a fault call included (FIREBREAK_E_TIMEOUT), and cancellation passes through', async () => {
    await bed.deployment('slow', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'slow' } });
    bed.api.hang(true);
    try {
      const t0 = Date.now();
      await assert.rejects(podKill.prepare(bed.faultContext(bed.conn, { timeoutMs: 300 }), parsedAttrs(podKill), target), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_TIMEOUT'));
      assert.ok(Date.now() - t0 < 2_500, `took ${Date.now() - t0} ms`);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('run cancelled')), 200);
      await assert.rejects(kubeCall({ signal: controller.signal, timeoutMs: 10_000, connection: bed.conn }, { verb: 'list', resource: 'pods' }, (o) => bed.conn.core.listNamespacedPod({ namespace: 'shop' }, o)), /run cancelled/);
    } finally {
      bed.api.hang(false);
    }
  });

  it('a watch is bounded by its deadline even when the server holds it open and answers nothing', async () => {
    bed.api.hang(true);
    try {
      const t0 = Date.now();
      const found = await waitUntil({ signal: new AbortController().signal, timeoutMs: 200, connection: bed.conn }, { target: { verb: 'watch', resource: 'pods', namespace: 'shop' }, watch: { path: '/api/v1/namespaces/shop/pods' }, deadline: Date.now() + 800 }, async () => undefined);
      assert.equal(found, undefined);
      assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
    } finally {
      bed.api.hang(false);
    }
  });

  it('a certificate from another CA is refused with the TLS reason', async () => {
    const other = await startKubeApi({ tls: true });
    try {
      const text = bed.kubeconfigText({ server: other.url }).replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${Buffer.from(otherCa()).toString('base64')}`);
      const file = join(bed.dir, 'wrong-ca');
      writeFileSync(file, text);
      await assert.rejects(kubernetesDriver.connect(bed.parseConfig({ kubeconfig: file }), callContext()), /did not answer: .*(certificate|self-signed|unable to verify)/i);
    } finally {
      await other.close();
    }
  });

  it('plain http:// is refused with the reason unless the kubeconfig skips TLS verification deliberately', async () => {
    const plain = await startKubeApi({ tls: false });
    try {
      const withSkip = writeKubeconfig(join(bed.dir, 'plain'), plain, {});
      const conn = await kubernetesDriver.connect(bed.parseConfig({ kubeconfig: withSkip }), callContext());
      assert.match(conn.server, /^http:\/\//);
      const noSkip = join(bed.dir, 'plain-noskip');
      writeFileSync(noSkip, readFileSync(withSkip, 'utf8').replace(/insecure-skip-tls-verify: true/, 'insecure-skip-tls-verify: false'));
      await assert.rejects(kubernetesDriver.connect(bed.parseConfig({ kubeconfig: noSkip }), callContext()), /plain HTTP: @kubernetes\/client-node refuses it unless the kubeconfig's cluster sets insecure-skip-tls-verify: true/);
    } finally {
      await plain.close();
    }
  });

  it('a context missing from the kubeconfig, or no kubeconfig at all, is unreachable with the reason', async () => {
    await assert.rejects(kubernetesDriver.connect(bed.parseConfig({ kubeconfig: bed.kubeconfig, context: 'nope' }), callContext()), /context "nope" is not in the kubeconfig .* \(contexts: kube-api-test\)/);
    await assert.rejects(kubernetesDriver.connect(bed.parseConfig({ kubeconfig: join(bed.dir, 'missing') }), callContext()), /no kubeconfig found \(looked for .*missing\) and not in a cluster/);
  });

  it('an allow-listed namespace that does not exist is FIREBREAK_E_KUBERNETES_NAMESPACE at connect', async () => {
    await assert.rejects(kubernetesDriver.connect({ ...bed.config, namespaces: ['shop', 'nowhere'] }, callContext()), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_KUBERNETES_NAMESPACE'), String(err));
      assert.match((err as Error).message, /namespace "nowhere" does not exist on https:\/\/127\.0\.0\.1/);
      return true;
    });
  });

  it('a denied verb is FIREBREAK_E_KUBERNETES_FORBIDDEN naming the verb, resource and namespace', async () => {
    await bed.deployment('locked', { replicas: 1 });
    const [target] = await bed.targets({ labels: { app: 'locked' } });
    const ctx = bed.faultContext();
    const state = await podKill.prepare(ctx, parsedAttrs(podKill), target);
    bed.api.deny({ verb: 'delete', resource: 'pods', namespace: 'shop' });
    try {
      await assert.rejects(podKill.apply(ctx, state), (err: unknown) => {
        assert.ok(isFirebreakError(err, 'FIREBREAK_E_KUBERNETES_FORBIDDEN'), String(err));
        assert.match((err as Error).message, /^no permission to delete pods in namespace "shop": pods "locked-\S+" is forbidden: User "kubernetes-admin" cannot delete resource "pods" in API group "" in the namespace "shop"$/);
        assert.deepEqual({ verb: (err as { details: { verb: string } }).details.verb, resource: (err as { details: { resource: string } }).details.resource }, { verb: 'delete', resource: 'pods' });
        return true;
      });
    } finally {
      bed.api.allowAll();
    }
    assert.equal(bed.pods('shop', { app: 'locked' }).length, 1, 'nothing was deleted');
  });

  it('loading firebreak and validating a Kubernetes experiment does not load @kubernetes/client-node', async () => {
    const hooks = join(bed.dir, 'hooks.mjs');
    const log = join(bed.dir, 'resolved.log');
    writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('@kubernetes/client-node')) appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`);
    writeFileSync(log, '');
    const script = [
      `import { register } from 'node:module';`,
      `register(${JSON.stringify('file://' + hooks)});`,
      `const { buildExperimentObject } = await import(${JSON.stringify(join(ROOT, 'src/experiment/loader.ts'))});`,
      `const r = buildExperimentObject({ title: 't', target: { kubernetes: { kubeconfig: '/nowhere' } }, cohort: { targets: { driver: 'kubernetes', selector: { labels: { app: 'web' } } } }, faults: [{ type: 'kubernetes.pod-kill' }] });`,
      `if (r.issues.length) throw new Error(JSON.stringify(r.issues));`,
      `const fs = await import('node:fs'); console.log('loaded:' + fs.readFileSync(${JSON.stringify(log)}, 'utf8').trim());`,
    ].join('\n');
    writeFileSync(join(bed.dir, 'probe.mts'), script);
    const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', join(bed.dir, 'probe.mts')], { cwd: ROOT, timeout: 30_000 });
    assert.equal(stdout.trim(), 'loaded:');
  });
});
