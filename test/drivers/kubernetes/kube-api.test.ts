import { strict as assert } from 'node:assert';
import { request } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import { ADMIN_TOKEN, clientDryRunFlags, eventually, kubectlMinor, requireKubectl, testPki, useKubeTestbed } from '../../helpers/kube-api/index.js';

/** A raw request to the test server, as any HTTP client would send it. */
function raw(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const length: Record<string, number> = payload === undefined ? {} : { 'Content-Length': Buffer.byteLength(payload) };
    const req = request(new URL(path, url), { method, ca: testPki().ca, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', ...length, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text.split('\n')[0]!);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end(payload);
  });
}

describe('the Kubernetes API test server, checked with kubectl', function () {
  this.timeout(60_000);
  const bed = useKubeTestbed();
  before(function () {
    requireKubectl(this);
  });

  it('serves discovery kubectl understands: api-resources lists kinds, short names and the scale and eviction subresources', async () => {
    const r = await bed.kubectl(['api-resources', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    for (const line of [/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m, /^poddisruptionbudgets\s+pdb\s+policy\/v1/m, /^virtualservices\s+vs\s+networking\.istio\.io\/v1\s+true\s+VirtualService/m, /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1/m]) {
      assert.match(r.stdout, line);
    }
    const v1 = (await raw(bed.api.url, 'GET', '/api/v1')).body as { resources: { name: string; kind: string; group?: string; version?: string }[] };
    assert.deepEqual(v1.resources.find((x) => x.name === 'pods/eviction'), { name: 'pods/eviction', singularName: '', namespaced: true, kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' });
    const apps = (await raw(bed.api.url, 'GET', '/apis/apps/v1')).body as { resources: { name: string; kind: string; group?: string; version?: string }[] };
    assert.equal(apps.resources.find((x) => x.name === 'deployments/scale')?.group, 'autoscaling');
    assert.equal((await bed.kubectl(['version', '-o', 'json'])).code, 0);
  });

  it('kubectl get, scale and wait see the simulated workload: a Deployment owns a ReplicaSet that owns ready pods', async () => {
    await bed.deployment('web', { replicas: 2 });
    const rs = await bed.kubectlJson(['get', 'replicasets', '-l', 'app=web']);
    assert.equal(rs.items.length, 1);
    assert.equal(rs.items[0].metadata.ownerReferences[0].kind, 'Deployment');
    const scaled = await bed.kubectl(['scale', 'deployment/web', '--replicas=4']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.match(scaled.stdout, /deployment.apps\/web scaled/);
    const waited = await bed.kubectl(['wait', '--for=condition=Available', 'deployment/web', '--timeout=15s']);
    assert.equal(waited.code, 0, waited.stderr);
    await eventually('4 ready pods', () => bed.readyPods('shop', { app: 'web' }).length === 4);
    const ready = await bed.kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=15s']);
    assert.equal(ready.code, 0, ready.stderr);
    assert.equal((ready.stdout.match(/condition met/g) ?? []).length, 4);
    const s = JSON.parse((await bed.kubectl(['get', '--raw', '/apis/apps/v1/namespaces/shop/deployments/web/scale'])).stdout);
    assert.equal(s.kind, 'Scale');
    assert.equal(s.apiVersion, 'autoscaling/v1');
    assert.equal(s.spec.replicas, 4);
    assert.equal(s.status.selector, 'app=web');
  });

  it('kubectl delete waits for a graceful pod delete; the ReplicaSet replaces it with a new pod after its delay', async () => {
    await bed.deployment('api', { replicas: 2 });
    const [victim] = bed.pods('shop', { app: 'api' });
    const del = await bed.kubectl(['delete', 'pod', victim!.metadata.name]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(bed.api.store.get('', 'pods', 'shop', victim!.metadata.name), undefined);
    await eventually('a replacement', () => bed.readyPods('shop', { app: 'api' }).length === 2);
    assert.ok(!bed.pods('shop', { app: 'api' }).some((p) => p.metadata.uid === victim!.metadata.uid));
  });

  it('kubectl scale down removes the pods as the ReplicaSet controller ranks them: not ready first, then the newest', async () => {
    await bed.deployment('rank', { replicas: 3, readinessProbe: true });
    const order = bed.pods('shop', { app: 'rank' }).sort((a, b) => bed.api.store.creationOrder(a.metadata.uid) - bed.api.store.creationOrder(b.metadata.uid));
    const [, middle, newest] = order.map((p) => p.metadata.uid);
    const sick = order[0]!.metadata.name;
    const patched = await bed.kubectl(['patch', 'pod', sick, '--type=json', '-p', '[{"op":"replace","path":"/spec/containers/0/image","value":"registry.k8s.io/pause:3.9"}]']);
    assert.equal(patched.code, 0, patched.stderr);
    await eventually('the patched pod not ready', () => bed.readyPods('shop', { app: 'rank' }).length === 2);
    assert.equal((await bed.kubectl(['scale', 'deployment/rank', '--replicas=2'])).code, 0);
    await eventually('two pods', () => bed.pods('shop', { app: 'rank' }).length === 2);
    assert.deepEqual(bed.pods('shop', { app: 'rank' }).map((p) => p.metadata.uid).sort(), [middle, newest].sort(), 'the pod that was not ready went, though it was the oldest');
    assert.equal((await bed.kubectl(['scale', 'deployment/rank', '--replicas=1'])).code, 0);
    await eventually('one pod', () => bed.pods('shop', { app: 'rank' }).length === 1);
    assert.deepEqual(bed.pods('shop', { app: 'rank' }).map((p) => p.metadata.uid), [middle], 'then the newest went');
  });

  it('a StatefulSet replaces a deleted pod under the same name with a new uid', async () => {
    await bed.statefulSet('db', { replicas: 2 });
    const before = bed.api.store.get('', 'pods', 'shop', 'db-0')!;
    assert.equal((await bed.kubectl(['delete', 'pod', 'db-0', '--wait=true'])).code, 0);
    await eventually('db-0 back', () => bed.readyPods('shop', { app: 'db' }).length === 2);
    const after = bed.api.store.get('', 'pods', 'shop', 'db-0')!;
    assert.notEqual(after.metadata.uid, before.metadata.uid);
  });

  it('kubectl patch in all three types; a failed JSON Patch test is 422 and changes nothing; strategic merge on a custom resource is 415', async () => {
    await bed.deployment('cart', { replicas: 1 });
    assert.equal((await bed.kubectl(['patch', 'deployment', 'cart', '-p', '{"metadata":{"labels":{"tier":"web"}}}'])).code, 0);
    assert.equal((await bed.kubectl(['patch', 'deployment', 'cart', '--type=merge', '-p', '{"metadata":{"annotations":{"note":"x"}}}'])).code, 0);
    const ok = await bed.kubectl(['patch', 'deployment', 'cart', '--type=json', '-p', '[{"op":"test","path":"/metadata/labels/tier","value":"web"},{"op":"add","path":"/metadata/labels/checked","value":"yes"}]']);
    assert.equal(ok.code, 0, ok.stderr);
    const failed = await bed.kubectl(['patch', 'deployment', 'cart', '--type=json', '-p', '[{"op":"test","path":"/metadata/labels/tier","value":"db"},{"op":"add","path":"/metadata/labels/x","value":"y"}]']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /invalid|Testing value/);
    const d = await bed.kubectlJson(['get', 'deployment', 'cart']);
    assert.deepEqual({ tier: d.metadata.labels.tier, checked: d.metadata.labels.checked, x: d.metadata.labels.x, note: d.metadata.annotations.note }, { tier: 'web', checked: 'yes', x: undefined, note: 'x' });
    // A strategic merge of a container list merges by name, as the real server does for built-in types.
    assert.equal((await bed.kubectl(['patch', 'deployment', 'cart', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}}'])).code, 0);
    const containers = (await bed.kubectlJson(['get', 'deployment', 'cart'])).spec.template.spec.containers;
    assert.deepEqual(containers.map((c: { name: string; image: string }) => [c.name, c.image]), [['app', 'nginx:1.26']]);
    bed.api.apply({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'cart', namespace: 'shop' }, spec: { hosts: ['cart'], http: [{ name: 'main', route: [{ destination: { host: 'cart' } }] }] } });
    const smp = await raw(bed.api.url, 'PATCH', '/apis/networking.istio.io/v1beta1/namespaces/shop/virtualservices/cart', { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 415);
    assert.equal(smp.body.reason, 'UnsupportedMediaType');
  });

  it('deletes honour preconditions.uid (409 Conflict) and pods refuse changes other than images (422)', async () => {
    await bed.deployment('pre', { replicas: 1 });
    const [p] = bed.pods('shop', { app: 'pre' });
    const conflict = await raw(bed.api.url, 'DELETE', `/api/v1/namespaces/shop/pods/${p!.metadata.name}`, { preconditions: { uid: 'not-this-one' } });
    assert.equal(conflict.status, 409);
    assert.match(conflict.body.message, /Precondition failed: UID in precondition: not-this-one/);
    const bad = await bed.kubectl(['patch', 'pod', p!.metadata.name, '-p', '{"spec":{"restartPolicy":"Never"}}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /pod updates may not change fields other than/);
    assert.equal((await bed.kubectl(['set', 'image', `pod/${p!.metadata.name}`, 'app=nginx:1.27'])).code, 0);
    await eventually('the container restarted with the new image', () => bed.api.store.get('', 'pods', 'shop', p!.metadata.name)?.status?.containerStatuses?.[0]?.restartCount === 1);
  });

  it('evictions honour PodDisruptionBudgets with 429 TooManyRequests', async () => {
    await bed.deployment('pay', { replicas: 2 });
    bed.api.apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pay', namespace: 'shop' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'pay' } } } });
    const pdb = await (async () => {
      let v: any;
      await eventually('the budget status', async () => ((v = await bed.kubectlJson(['get', 'pdb', 'pay'])), v.status?.expectedPods === 2));
      return v;
    })();
    assert.equal(pdb.status.disruptionsAllowed, 0);
    const [p] = bed.pods('shop', { app: 'pay' });
    const refused = await raw(bed.api.url, 'POST', `/api/v1/namespaces/shop/pods/${p!.metadata.name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p!.metadata.name } });
    assert.equal(refused.status, 429);
    assert.match(refused.body.message, /disruption budget/);
    assert.equal((await bed.kubectl(['patch', 'pdb', 'pay', '--type=merge', '-p', '{"spec":{"minAvailable":1}}'])).code, 0);
    const allowed = await raw(bed.api.url, 'POST', `/api/v1/namespaces/shop/pods/${p!.metadata.name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p!.metadata.name } });
    assert.equal(allowed.status, 201, allowed.text);
  });

  it('a protobuf body is 415 UnsupportedMediaType (the test server speaks JSON and YAML), but for the access review kubectl auth can-i may send', async () => {
    const r = await raw(bed.api.url, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'k8s\u0000\n', { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
    assert.equal(r.status, 415, r.text);
    assert.equal(r.body.reason, 'UnsupportedMediaType');
  });

  it('a denied verb is a real 403 Status naming user, verb, resource and namespace; kubectl auth can-i agrees', async () => {
    bed.api.deny({ verb: 'delete', resource: 'pods', namespace: 'shop' });
    try {
      const can = await bed.kubectl(['auth', 'can-i', 'delete', 'pods']);
      assert.equal(can.stdout.trim(), 'no');
      const del = await bed.kubectl(['delete', 'pod', 'whatever']);
      assert.match(del.stderr, /pods "whatever" is forbidden: User "kubernetes-admin" cannot delete resource "pods" in API group "" in the namespace "shop"/);
      assert.equal((await bed.kubectl(['auth', 'can-i', 'list', 'pods'])).stdout.trim(), 'yes');
    } finally {
      bed.api.allowAll();
    }
  });

  it('watches replay from a resourceVersion and answer 410 Expired for one the server no longer keeps', async () => {
    const list = (await raw(bed.api.url, 'GET', '/api/v1/namespaces/shop/pods')).body;
    const rv = list.metadata.resourceVersion;
    bed.api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', namespace: 'shop' }, data: {} });
    const replay = await raw(bed.api.url, 'GET', `/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    assert.match(replay.text, /"type":"ADDED","object":\{"apiVersion":"v1","kind":"ConfigMap"/);
    bed.api.store.compact();
    const expired = await raw(bed.api.url, 'GET', `/api/v1/namespaces/shop/pods?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    assert.equal(expired.body.type, 'ERROR');
    assert.equal(expired.body.object.code, 410);
    assert.equal(expired.body.object.reason, 'Expired');
  });

  it('kubectl apply --dry-run=client and --dry-run=server accept manifests and store nothing', async () => {
    const file = join(bed.dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: dry, namespace: shop }\ndata: { a: "1" }\n');
    for (const flags of [clientDryRunFlags(), ['--dry-run=server']]) {
      const r = await bed.kubectl(['apply', ...flags, '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /configmap\/dry created \((server )?dry run\)/);
    }
    assert.equal(bed.api.store.get('', 'configmaps', 'shop', 'dry'), undefined);
    // The server validates fields against the Kubernetes schema (client-node's models of it), strictly when kubectl asks.
    const bad = join(bed.dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: bad, namespace: shop }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: bad } }\n  template:\n    metadata: { labels: { app: bad } }\n    spec: { containers: [ { name: a, image: x, imagePullPolicyy: Always } ] }\n');
    const strict = await raw(bed.api.url, 'POST', '/apis/apps/v1/namespaces/shop/deployments?fieldValidation=Strict&dryRun=All', parseAllDocuments(readFileSync(bad, 'utf8'))[0]!.toJS());
    assert.equal(strict.status, 400);
    assert.match(strict.body.message, /strict decoding error: unknown field "spec.template.spec.containers\[0\].imagePullPolicyy"/);
    if (kubectlMinor() >= 25) {
      const refused = await bed.kubectl(['apply', '--dry-run=server', '-f', bad]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /strict decoding error: unknown field "spec.template.spec.containers\[0\].imagePullPolicyy"/);
    } else console.log(`      kubectl 1.${kubectlMinor()} does not ask the server for strict field validation; checked with a raw request only`);
  });

  it('metrics.k8s.io answers kubectl top', async () => {
    await bed.deployment('top', { replicas: 1 });
    const r = await bed.kubectl(['top', 'pods', '-l', 'app=top']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /top-\S+\s+5m\s+20Mi/);
  });
});
