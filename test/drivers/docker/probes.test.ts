import { strict as assert } from 'node:assert';
import { dockerSaturationProbe, type SaturationAttrs } from '../../../src/drivers/docker/probes/saturation.js';
import { dockerContainerStateProbe, type StateProbeValue } from '../../../src/drivers/docker/probes/state.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { isFirebreakError } from '../../../src/errors.js';
import type { Target } from '../../../src/faults/types.js';
import type { ProbeContext } from '../../../src/probes/types.js';
import { silentLogger } from '../../../src/log.js';
import type { DockerConnection } from '../../../src/drivers/docker/client.js';
import { TEST_LABEL, useDockerTestbed, waitUntil } from '../../helpers/docker.js';

describe('Docker probes against a real engine', function () {
  this.timeout(40_000);
  const bed = useDockerTestbed();

  function probeContext(targets?: { canary: Target[]; control: Target[] }): ProbeContext<DockerConnection> {
    return { signal: new AbortController().signal, logger: silentLogger(), runId: bed.runId, timeoutMs: 10_000, connection: bed.connection, baseDir: process.cwd(), ...(targets ? { targets } : {}) };
  }

  describe('docker.state', () => {
    let healthy: { id: string; name: string };
    let paused: { id: string; name: string };
    let killed: { id: string; name: string };

    before(async () => {
      [healthy, paused, killed] = await Promise.all([
        bed.run({
          name: 'st-healthy',
          cmd: ['sleep', '600'],
          labels: { probe: 'state' },
          hostConfig: {},
        }),
        bed.run({ name: 'st-paused', cmd: ['sleep', '600'], labels: { probe: 'state' } }),
        bed.run({ name: 'st-killed', cmd: ['sleep', '600'], labels: { probe: 'state' } }),
      ]);
      await bed.docker.getContainer(paused.id).pause();
      await bed.docker.getContainer(killed.id).kill();
    });

    it('reads every container a selector names, stopped ones included', async () => {
      const issues = collectIssues();
      const attrs = dockerContainerStateProbe.parse({ selector: { labels: { [TEST_LABEL]: bed.runId, probe: 'state' } } }, issues)!;
      assert.deepEqual(issues.issues, []);
      const v = (await dockerContainerStateProbe.run(probeContext(), attrs)) as StateProbeValue;
      assert.equal(v.total, 3);
      assert.equal(v.running, 1);
      assert.equal(v.paused, 1);
      assert.equal(v.allRunning, false);
      const byName = new Map(v.containers.map((c) => [c.name, c]));
      assert.equal(byName.get(healthy.name)?.running, true);
      assert.equal(byName.get(healthy.name)?.health, 'none');
      assert.equal(byName.get(paused.name)?.paused, true);
      assert.equal(byName.get(killed.name)?.status, 'exited');
      assert.equal(byName.get(killed.name)?.exitCode, 137);
    });

    it('reports health and per-cohort totals for the planned targets', async () => {
      const checked = await bed.run({ name: 'st-check', cmd: ['sleep', '600'] });
      // A healthcheck the engine runs every 200ms.
      await bed.docker.getContainer(checked.id).remove({ force: true });
      const container = await bed.docker.createContainer({
        name: `fb-${bed.runId}-st-check2`,
        Image: 'firebreak-test/busybox:latest',
        Cmd: ['sleep', '600'],
        Labels: { [TEST_LABEL]: bed.runId },
        HostConfig: { NetworkMode: 'host' },
        Healthcheck: { Test: ['CMD', '/bin/busybox', 'true'], Interval: 200_000_000, Timeout: 1_000_000_000, Retries: 1, StartPeriod: 0 },
      });
      await container.start();
      await waitUntil(async () => (await bed.inspect(container.id)).State.Health?.Status === 'healthy', 10_000, 'the healthcheck to pass');
      const targets = { canary: [await bed.target(container.id), await bed.target(killed.id)], control: [await bed.target(healthy.id)] };
      const v = (await dockerContainerStateProbe.run(probeContext(targets), {})) as StateProbeValue;
      assert.equal(v.total, 3);
      assert.equal(v.healthy, 1);
      assert.deepEqual(
        { total: v.cohorts?.canary.total, running: v.cohorts?.canary.running, healthy: v.cohorts?.canary.healthy, allRunning: v.cohorts?.canary.allRunning },
        { total: 2, running: 1, healthy: 1, allRunning: false },
      );
      assert.equal(v.cohorts?.control.allRunning, true);
      assert.equal(v.cohorts?.control.allHealthy, true);
    });

    it('refuses an unknown selector key at parse time', () => {
      const issues = collectIssues();
      assert.equal(dockerContainerStateProbe.parse({ selector: { lables: { app: 'x' } } }, issues), undefined);
      assert.match(issues.issues.map((i) => `${i.path}: ${i.message}`).join('\n'), /selector\.lables: unknown selector key "lables"/);
    });

    it('needs a selector or target cohorts', async () => {
      await assert.rejects(dockerContainerStateProbe.run(probeContext(), {}), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_PROBE'));
    });
  });

  describe('docker.saturation', () => {
    it('reports a busy, CPU-limited canary as saturated and an idle control as not', async () => {
      const [busy, idle] = await Promise.all([
        // Half a CPU, spent entirely: saturation near 1.
        bed.run({ name: 'sat-busy', cmd: ['sh', '-c', 'while :; do :; done'], hostConfig: { CpuQuota: 50_000, CpuPeriod: 100_000 } }),
        bed.run({ name: 'sat-idle', cmd: ['sleep', '600'], hostConfig: { Memory: 64 * 1024 * 1024 } }),
      ]);
      const targets = { canary: [await bed.target(busy.id)], control: [await bed.target(idle.id)] };
      const issues = collectIssues();
      const attrs = dockerSaturationProbe.parse({}, issues) as SaturationAttrs;
      assert.deepEqual(issues.issues, []);
      const { signal: _omit, ...ctx } = probeContext(targets);
      const source = dockerSaturationProbe.source(ctx, attrs);
      await source.start({ signal: new AbortController().signal, logger: silentLogger() });
      try {
        await new Promise((r) => setTimeout(r, 300));
        // Each collection takes about a second: the engine samples stats once a second.
        const first = await source.collect();
        const second = await source.collect();
        for (const got of [first, second]) {
          const canary = got.canary!;
          const control = got.control!;
          assert.ok(canary.saturation! > 0.35, `canary saturation ${canary.saturation}`);
          assert.ok(control.saturation! < 0.1, `control saturation ${control.saturation}`);
          assert.equal(canary.requests, 0);
          assert.equal(canary.latencyOk.count, 0);
          assert.ok(canary.end > canary.start);
        }
        assert.equal(second.canary!.start, first.canary!.end, 'intervals follow each other');
        assert.equal(first.untouched, undefined);
      } finally {
        await source.stop();
      }
    });

    it('reports memory against the limit, and nothing for a stopped container', async () => {
      const c = await bed.run({ name: 'sat-mem', cmd: ['sleep', '600'], hostConfig: { Memory: 8 * 1024 * 1024, MemorySwap: 8 * 1024 * 1024 } });
      const gone = await bed.run({ name: 'sat-gone', cmd: ['sleep', '600'] });
      await bed.docker.getContainer(gone.id).kill();
      const { signal: _omit, ...ctx } = probeContext({ canary: [await bed.target(c.id)], control: [await bed.target(gone.id)] });
      const source = dockerSaturationProbe.source(ctx, { resource: 'memory', aggregate: 'max' });
      await source.start({ signal: new AbortController().signal, logger: silentLogger() });
      try {
        const got = await source.collect();
        const s = got.canary!.saturation!;
        assert.ok(s > 0 && s < 0.9, `memory saturation ${s}`);
        assert.equal(got.control!.saturation, undefined);
      } finally {
        await source.stop();
      }
    });

    it('validates its attributes', () => {
      const issues = collectIssues();
      assert.equal(dockerSaturationProbe.parse({ resource: 'disk', aggregate: 'median', extra: 1 }, issues), undefined);
      assert.match(issues.issues.map((i) => i.message).join('\n'), /unknown attribute "extra"[\s\S]*cpu, memory or max[\s\S]*max or mean/);
    });
  });
});
