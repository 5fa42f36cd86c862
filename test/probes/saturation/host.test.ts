import { strict as assert } from 'node:assert';
import os from 'node:os';
import { collectIssues } from '../../../src/experiment/issues.js';
import { silentLogger } from '../../../src/log.js';
import { HostMeter, hostSaturationProbe, hostSaturationSampleProbe, type HostSample } from '../../../src/probes/saturation/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const busy = (ms: number): void => {
  const t = Date.now();
  while (Date.now() - t < ms) {
    // keep this thread's CPU and event loop busy
  }
};

function parse(raw: Record<string, unknown>) {
  const issues = collectIssues();
  const a = hostSaturationProbe.parse(raw, issues);
  assert.deepEqual(issues.issues, []);
  return a!;
}

const ctx = { logger: silentLogger(), runId: 'r', timeoutMs: 1000, connection: null, baseDir: '.' };

describe('host saturation probe', function () {
  this.timeout(10_000);

  it('sees a busy event loop and CPU, and reports the largest fraction on canary and control', async () => {
    const source = hostSaturationProbe.source(ctx, parse({}));
    await source.start({ signal: new AbortController().signal, logger: silentLogger() });
    busy(400);
    const out = await source.collect();
    assert.deepEqual(Object.keys(out).sort(), ['canary', 'control']);
    const c = out.canary!;
    assert.equal(c.requests, 0);
    assert.equal(c.latencyOk.count, 0);
    assert.ok(c.saturation! >= 0.6 && c.saturation! <= 1, `saturation ${c.saturation}`);
    assert.equal(out.control!.saturation, c.saturation);
    assert.notEqual(out.control!.latencyOk, c.latencyOk, 'each cohort gets its own histograms');
    await source.stop();
  });

  it('drops back when the loop is idle, measuring only the listed resources', async () => {
    const source = hostSaturationProbe.source(ctx, parse({ cohorts: ['untouched'], include: ['eventLoop'] }));
    await source.start({ signal: new AbortController().signal, logger: silentLogger() });
    busy(200);
    const loaded = (await source.collect()).untouched!.saturation!;
    await sleep(400);
    const idle = (await source.collect()).untouched!.saturation!;
    assert.ok(loaded > 0.6, `busy event loop ${loaded}`);
    assert.ok(idle < 0.3, `idle event loop ${idle}`);
  });

  it('breaks a sample down by resource', () => {
    const meter = new HostMeter();
    busy(150);
    const s: HostSample = meter.sample();
    for (const k of ['cpu', 'processCpu', 'memory', 'eventLoop', 'saturation'] as const) assert.ok(s[k] >= 0 && s[k] <= 1, `${k} ${s[k]}`);
    assert.equal(s.saturation, Math.max(s.cpu, s.processCpu, s.memory, s.eventLoop));
    assert.equal(s[s.limitedBy], s.saturation);
    // This thread spun the whole time; on a shared machine it may get only part of a core.
    assert.ok(s.processCpu >= 0.1 / os.availableParallelism(), `process cpu ${s.processCpu}`);
    assert.ok(s.cpu >= s.processCpu * 0.5, `host cpu ${s.cpu} vs process ${s.processCpu}`);
    const used = (os.totalmem() - os.freemem()) / os.totalmem();
    assert.ok(Math.abs(s.memory - used) < 0.05, `memory ${s.memory} vs ${used}`);
  });

  it('answers once as a value probe after sampling for the given time', async () => {
    const issues = collectIssues();
    const attrs = hostSaturationSampleProbe.parse({ sample: '150ms', include: ['memory'] }, issues)!;
    assert.deepEqual(issues.issues, []);
    const t0 = Date.now();
    const v = (await hostSaturationSampleProbe.run({ ...ctx, signal: new AbortController().signal }, attrs)) as HostSample;
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(v.limitedBy, 'memory');
    assert.equal(v.saturation, v.memory);
  });

  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{ cohorts: ['canary', 'blue'] }, 'cohorts', /non-empty list of cohorts/],
    [{ cohorts: [] }, 'cohorts', /non-empty list of cohorts/],
    [{ include: ['disk'] }, 'include', /non-empty list of resources/],
    [{ every: '1s' }, 'every', /unknown attribute/],
  ];
  for (const [raw, path, message] of bad) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      const issues = collectIssues();
      assert.equal(hostSaturationProbe.parse(raw, issues), undefined);
      const hit = issues.issues.find((i) => i.path === path);
      assert.ok(hit, JSON.stringify(issues.issues));
      assert.match(hit.message, message);
    });
  }
});
