import { strict as assert } from 'node:assert';
import { cohortOf } from '../../../src/cohort/sticky.js';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { meshAbort } from '../../../src/drivers/kubernetes/faults/mesh-abort.js';
import { meshDelay } from '../../../src/drivers/kubernetes/faults/mesh-delay.js';
import { canaryValues } from '../../../src/drivers/kubernetes/faults/mesh-route.js';
import { callContext, requireKubectl, throughJson, useKubeTestbed } from '../../helpers/kube-api/index.js';
import { parsedAttrs, parseProblems } from './fixtures.js';

const USER_ROUTES = [
  { name: 'api', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'payments', subset: 'v1' } }] },
  { name: 'default', route: [{ destination: { host: 'payments' } }] },
];

describe('mesh.delay and mesh.abort on Istio VirtualServices (test API server)', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();
  const vs = (name: string) => bed.api.apply({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name, namespace: 'shop' }, spec: { hosts: ['payments'], http: structuredClone(USER_ROUTES) } })[0]!;
  const routes = (name: string) => bed.api.store.get('networking.istio.io', 'virtualservices', 'shop', name)!.spec.http as { name: string; match?: unknown[]; fault?: unknown }[];

  it('inserts a cloned route first, matching the canary cohort\'s header values, and removes exactly it; the user\'s routes are never rewritten; kubectl sees each step', async function () {
    requireKubectl(this);
    vs('payments');
    const ctx = bed.faultContext();
    const cohort = { salt: 'checkout-1', canary: '5%', keys: { prefix: 'user-', count: 200 } };
    const state = await meshDelay.prepare(ctx, parsedAttrs(meshDelay, { virtualService: 'payments', route: 'api', delay: '300ms', match: { header: 'x-user-id', cohort } }));
    const expected = canaryValues({ kind: 'cohort', header: 'x-user-id', salt: 'checkout-1', canary: 0.05, prefix: 'user-', count: 200 });
    assert.ok(expected.length >= 3 && expected.length <= 20, `${expected.length} canary keys`);
    assert.ok(expected.every((k) => cohortOf(k, 'checkout-1', { canary: 0.05, control: 0.05 }) === 'canary'), 'the same cohorts as the proxy and the load generator');
    await meshDelay.apply(ctx, state);

    const got = await bed.kubectlJson(['get', 'virtualservice', 'payments']);
    const first = got.spec.http[0];
    assert.equal(first.name, `fb-${ctx.instanceId}`);
    assert.deepEqual(first.fault, { delay: { fixedDelay: '0.3s', percentage: { value: 100 } } });
    assert.deepEqual(first.route, USER_ROUTES[0]!.route);
    assert.deepEqual(first.match, expected.map((v) => ({ uri: { prefix: '/api' }, headers: { 'x-user-id': { exact: v } } })));
    assert.deepEqual(got.spec.http.slice(1), USER_ROUTES, 'the user\'s routes are as they were');
    assert.equal(got.metadata.labels['firebreak.dev/mesh-delay'], ctx.instanceId);
    const patch = bed.api.seen.filter((r) => r.method === 'PATCH').at(-1)!;
    assert.equal(patch.contentType, 'application/json-patch+json');
    assert.deepEqual((patch.body as { op: string; path: string }[]).slice(0, 3).map((o) => `${o.op} ${o.path}`), ['test /metadata/resourceVersion', 'test /metadata/uid', 'add /spec/http/0']);

    // Someone adds a route in front while the fault is live: the revert still removes exactly ours.
    assert.equal((await bed.kubectl(['patch', 'virtualservice', 'payments', '--type=json', '-p', '[{"op":"add","path":"/spec/http/0","value":{"name":"hotfix","route":[{"destination":{"host":"payments","subset":"v2"}}]}}]'])).code, 0);
    const fresh = await kubernetesDriver.connect(bed.config, callContext());
    await meshDelay.revert(bed.faultContext(fresh), throughJson(state));
    const after = await bed.kubectlJson(['get', 'virtualservice', 'payments']);
    assert.deepEqual(after.spec.http.map((r: { name: string }) => r.name), ['hotfix', 'api', 'default']);
    assert.deepEqual(after.spec.http.slice(1), USER_ROUTES);
    assert.equal(after.metadata.labels?.['firebreak.dev/mesh-delay'], undefined);
    assert.equal((await meshDelay.verify!(ctx, state)).ok, true);
    await meshDelay.revert(ctx, state);
  });

  it('a test of the resourceVersion guards the insert: a change between read and write makes it read again', async () => {
    vs('race');
    const ctx = bed.faultContext();
    const state = await meshAbort.prepare(ctx, parsedAttrs(meshAbort, { virtualService: 'race', status: 503, percentage: '50%' }));
    // Another client changes the object between firebreak's read and its write, once.
    let raced = false;
    bed.api.onRequest = (r) => {
      if (raced || r.method !== 'PATCH' || !r.path.endsWith('/race')) return;
      raced = true;
      const live = bed.api.store.get('networking.istio.io', 'virtualservices', 'shop', 'race')!;
      bed.api.store.update('networking.istio.io', 'virtualservices', { ...live, metadata: { ...live.metadata, annotations: { touched: 'yes' } } });
    };
    try {
      await meshAbort.apply(ctx, state);
    } finally {
      bed.api.onRequest = undefined;
    }
    const patches = bed.api.seen.filter((r) => r.method === 'PATCH' && r.path.endsWith('/race'));
    assert.deepEqual(patches.map((p) => p.status), [422, 200], 'the first write was refused by the test, the second went through');
    const http = routes('race');
    assert.equal(http.length, 3);
    assert.deepEqual(http[0]!.fault, { abort: { httpStatus: 503, percentage: { value: 50 } } });
    assert.deepEqual(http[0]!.match, USER_ROUTES[0]!.match, 'the cloned route\'s own match, no header added: a percentage of its requests');
    await meshAbort.revert(ctx, state);
    assert.deepEqual(routes('race'), USER_ROUTES);
  });

  it('explicit header values, the first route by default, and networking.istio.io/v1', async () => {
    vs('v1');
    const ctx = bed.faultContext();
    const state = await meshDelay.prepare(ctx, parsedAttrs(meshDelay, { virtualService: 'v1', delay: '1s', istioVersion: 'v1', match: { header: 'X-Cohort', values: ['canary'] } }));
    await meshDelay.apply(ctx, state);
    const first = routes('v1')[0]!;
    assert.deepEqual(first.match, [{ uri: { prefix: '/api' }, headers: { 'x-cohort': { exact: 'canary' } } }]);
    assert.ok(bed.api.seen.filter((r) => r.method === 'PATCH').at(-1)!.path.startsWith('/apis/networking.istio.io/v1/'));
    await meshDelay.revert(ctx, state);
    assert.deepEqual(routes('v1'), USER_ROUTES);
  });

  it('refuses what it cannot do before touching anything', async () => {
    vs('refuse');
    await assert.rejects(meshDelay.prepare(bed.faultContext(), parsedAttrs(meshDelay, { virtualService: 'nope', delay: '1s' })), /VirtualService shop\/nope does not exist/);
    await assert.rejects(meshDelay.prepare(bed.faultContext(), parsedAttrs(meshDelay, { virtualService: 'refuse', route: 'other', delay: '1s' })), /has no HTTP route named "other" \(it has api, default\)/);
    await assert.rejects(meshDelay.prepare(bed.faultContext(), parsedAttrs(meshDelay, { virtualService: 'refuse', delay: '1s', match: { header: 'x-user-id', cohort: { salt: 's', canary: '50%', keys: { count: 1000 } } } })), /would need \d+ header matches .* at most 256/);
    assert.deepEqual(routes('refuse'), USER_ROUTES);
    assert.match(parseProblems(meshDelay, { virtualService: 'x' }).join(), /delay: is required/);
    assert.match(parseProblems(meshDelay, { virtualService: 'x', delay: '1s', percentage: 0 }).join(), /percentage: must be a percentage above 0/);
    assert.match(parseProblems(meshDelay, { virtualService: 'x', delay: '1s', match: { header: 'x-user-id' } }).join(), /match: needs exactly one of values or cohort/);
    assert.match(parseProblems(meshAbort, { virtualService: 'x', status: 99 }).join(), /status: must be an integer >= 200 <= 599/);
    assert.match(parseProblems(meshAbort, { virtualService: 'x', istioVersion: 'v2' }).join(), /istioVersion: must be v1 or v1beta1/);
  });
});
