import { strict as assert } from 'node:assert';
import { podKill } from '../../../src/drivers/kubernetes/faults/pod-kill.js';
import { eventsProbe } from '../../../src/drivers/kubernetes/probes/events.js';
import { bytes, cpuMillicores, podMetricsProbe } from '../../../src/drivers/kubernetes/probes/metrics.js';
import { podsProbe } from '../../../src/drivers/kubernetes/probes/pods.js';
import { workloadProbe } from '../../../src/drivers/kubernetes/probes/workload.js';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import type { KubeConnection } from '../../../src/drivers/kubernetes/client.js';
import { isFirebreakError } from '../../../src/errors.js';
import type { Target } from '../../../src/faults/types.js';
import type { ProbeContext } from '../../../src/probes/types.js';
import { silentLogger } from '../../../src/log.js';
import { ANNOTATIONS, callContext, eventually, startKubeApi, useKubeTestbed, writeKubeconfig } from '../../helpers/kube-api/index.js';
import { parsedAttrs } from './fixtures.js';

describe('Kubernetes probes against the test API server', function () {
  this.timeout(30_000);
  const bed = useKubeTestbed();
  const probeCtx = (extra: Partial<ProbeContext<KubeConnection>> = {}): ProbeContext<KubeConnection> => ({ signal: new AbortController().signal, logger: silentLogger(), runId: 'probe-run', timeoutMs: 3_000, connection: bed.conn, baseDir: '.', ...extra });

  it('kubernetes.workload: desired, ready, available and restarts; a workload down or gone is a measured value', async () => {
    await bed.deployment('web', { replicas: 3 });
    const attrs = parsedAttrs(workloadProbe, { workload: 'deployment/web' });
    assert.deepEqual(await workloadProbe.run(probeCtx(), attrs), { workload: 'deployment/web', exists: true, desired: 3, ready: 3, available: 3, updated: 3, unavailable: 0, restarts: 0, pods: 3, allReady: true });
    const [p] = bed.pods('shop', { app: 'web' });
    bed.api.apply({ ...{ apiVersion: 'v1', kind: 'Pod' }, ...bed.api.store.get('', 'pods', 'shop', p!.metadata.name)!, spec: { ...p!.spec, containers: [{ ...p!.spec.containers[0], image: 'nginx:1.26' }] } });
    await eventually('a restart', () => bed.api.store.get('', 'pods', 'shop', p!.metadata.name)!.status.containerStatuses[0].restartCount === 1);
    assert.equal(((await workloadProbe.run(probeCtx(), attrs)) as { restarts: number }).restarts, 1);
    assert.deepEqual(await workloadProbe.run(probeCtx(), parsedAttrs(workloadProbe, { workload: 'statefulset/none' })), { workload: 'statefulset/none', exists: false, desired: 0, ready: 0, available: 0, updated: 0, unavailable: 0, restarts: 0, pods: 0, allReady: false });
    await bed.deployment('down', { replicas: 2, annotations: { [ANNOTATIONS.neverReady]: 'true' } });
    await eventually('pods running', () => bed.pods('shop', { app: 'down' }).filter((x) => x.status?.phase === 'Running').length === 2);
    const down = (await workloadProbe.run(probeCtx(), parsedAttrs(workloadProbe, { workload: 'deployment/down' }))) as { ready: number; unavailable: number; allReady: boolean };
    assert.deepEqual([down.ready, down.unavailable, down.allReady], [0, 2, false]);
  });

  it('a probe that cannot reach the API throws FIREBREAK_E_PROBE (the tool failed), not a value', async () => {
    const gone = await startKubeApi();
    const file = writeKubeconfig(`${bed.dir}/gone`, gone, { namespace: 'shop' });
    gone.createNamespace('shop');
    const conn = await kubernetesDriver.connect(bed.parseConfig({ kubeconfig: file }), callContext());
    await gone.close();
    for (const [probe, raw] of [[workloadProbe, { workload: 'deployment/web' }], [podsProbe, { selector: { labels: { app: 'web' } } }], [eventsProbe, {}], [podMetricsProbe, { selector: { labels: { app: 'web' } } }]] as const) {
      await assert.rejects((probe as typeof workloadProbe).run(probeCtx({ connection: conn }), parsedAttrs(probe as typeof workloadProbe, raw) as never), (err: unknown) => {
        assert.ok(isFirebreakError(err, 'FIREBREAK_E_PROBE'), `${probe.type}: ${String(err)}`);
        assert.match((err as Error).message, new RegExp(`^${probe.type.replace('.', '\\.')}.* could not measure: .*did not answer`));
        return true;
      });
    }
  });

  it('kubernetes.pods per cohort: a killed canary pod counts as gone and its replacement under replacements', async () => {
    await bed.deployment('co', { replicas: 3 });
    const pods = await bed.targets({ labels: { app: 'co' } });
    const targets = { canary: pods.slice(0, 1), control: pods.slice(1) };
    const before = (await podsProbe.run(probeCtx({ targets }), {})) as { cohorts: Record<string, { total: number; ready: number; gone: number }> };
    assert.deepEqual([before.cohorts.canary!.ready, before.cohorts.control!.ready, before.cohorts.replacements!.total], [1, 2, 0]);
    const ctx = bed.faultContext();
    const state = await podKill.apply(ctx, await podKill.prepare(ctx, parsedAttrs(podKill, { recoveryTimeout: '10s' }), pods[0]));
    await podKill.revert(ctx, state!);
    const after = (await podsProbe.run(probeCtx({ targets }), {})) as { total: number; phases: Record<string, number>; cohorts: Record<string, { total: number; ready: number; gone: number }> };
    assert.deepEqual([after.cohorts.canary!.gone, after.cohorts.control!.ready, after.cohorts.replacements!.ready], [1, 2, 1]);
    assert.equal(after.phases.Running, 3);
    const bySelector = (await podsProbe.run(probeCtx(), parsedAttrs(podsProbe, { selector: { labels: { app: 'co' } } }))) as { total: number; ready: number };
    assert.deepEqual([bySelector.total, bySelector.ready], [3, 3]);
  });

  it('kubernetes.events counts Warning events by reason since its previous look in the run', async () => {
    await bed.deployment('ev', { replicas: 1 });
    const [p] = bed.pods('shop', { app: 'ev' });
    const attrs = parsedAttrs(eventsProbe, { lookback: '5s' });
    const runCtx = probeCtx({ runId: 'events-run' });
    await eventsProbe.run(runCtx, attrs);
    await new Promise((r) => setTimeout(r, 1_100));
    bed.api.recordEvent(p!, 'Pod', 'Warning', 'OOMKilled', 'Container app was OOM killed');
    bed.api.recordEvent(p!, 'Pod', 'Warning', 'BackOff', 'Back-off restarting failed container');
    bed.api.recordEvent(p!, 'Pod', 'Warning', 'BackOff', 'Back-off restarting failed container');
    bed.api.recordEvent(p!, 'Pod', 'Normal', 'Pulled', 'pulled');
    const v = (await eventsProbe.run(runCtx, attrs)) as { warnings: number; byReason: Record<string, number>; recent: { object: string }[] };
    assert.deepEqual(v.byReason, { OOMKilled: 1, BackOff: 2 });
    assert.equal(v.warnings, 3);
    assert.equal(v.recent[0]!.object, `Pod shop/${p!.metadata.name}`);
    const only = (await eventsProbe.run(probeCtx({ runId: 'other-run' }), parsedAttrs(eventsProbe, { reasons: ['Evicted', 'OOMKilled'], lookback: '1m' }))) as { byReason: Record<string, number> };
    assert.deepEqual(only.byReason, { OOMKilled: 1 });
  });

  it('kubernetes.pod-metrics: CPU and memory per cohort from metrics.k8s.io; available: false without it', async () => {
    await bed.deployment('busy', { replicas: 2 });
    const pods = await bed.targets({ labels: { app: 'busy' } });
    const hot = bed.api.store.get('', 'pods', 'shop', pods[0]!.name)!;
    hot.metadata.annotations = { [ANNOTATIONS.cpu]: '750m', [ANNOTATIONS.memory]: '128Mi' };
    bed.api.store.update('', 'pods', hot);
    const v = (await podMetricsProbe.run(probeCtx({ targets: { canary: [pods[0]!], control: [pods[1]!] } }), {})) as { available: boolean; cohorts: Record<string, { cpuMillicores: number; memoryBytes: number }> };
    assert.equal(v.available, true);
    assert.deepEqual(v.cohorts.canary, { pods: 1, cpuMillicores: 750, maxCpuMillicores: 750, memoryBytes: 128 * 2 ** 20, maxMemoryBytes: 128 * 2 ** 20 });
    assert.equal(v.cohorts.control!.cpuMillicores, 5);
    const bare = await startKubeApi({ metrics: false });
    try {
      bare.createNamespace('shop');
      const conn = await kubernetesDriver.connect(bed.parseConfig({ kubeconfig: writeKubeconfig(`${bed.dir}/bare`, bare, { namespace: 'shop' }) }), callContext());
      assert.deepEqual(await podMetricsProbe.run(probeCtx({ connection: conn, targets: { canary: [] as Target[], control: [] } }), {}), { available: false, pods: 0, cpuMillicores: 0, maxCpuMillicores: 0, memoryBytes: 0, maxMemoryBytes: 0 });
    } finally {
      await bare.close();
    }
    assert.deepEqual([cpuMillicores('1500000n'), cpuMillicores('2'), cpuMillicores('12u'), bytes('1Gi'), bytes('100M'), bytes('512Ki')], [1.5, 2000, 0.012, 2 ** 30, 1e8, 512 * 1024]);
  });
});
