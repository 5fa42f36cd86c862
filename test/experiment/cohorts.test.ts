import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { formatIssue } from '../../src/experiment/issues.js';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { tempDir } from '../helpers/cli.js';

const traffic = { canary: '10%', control: '10%', key: 'header:x-user-id', salt: 'checkout-7' };

function experiment(over: { proxies?: unknown[]; traffic?: unknown; faults?: unknown[]; probes?: unknown[]; tolerances?: unknown[]; abort?: unknown[]; targets?: unknown }): Record<string, unknown> {
  return {
    title: 'cohorts',
    target: { proxy: { proxies: over.proxies ?? [{ name: 'payments', upstream: '127.0.0.1:9000' }] } },
    cohort: { ...(over.traffic === undefined ? { traffic } : over.traffic === null ? {} : { traffic: over.traffic }), ...(over.targets ? { targets: over.targets } : {}) },
    hypothesis: {
      probes: over.probes ?? [{ name: 'shop', type: 'load', url: 'http://127.0.0.1:8080/', rate: 10 }],
      tolerances: over.tolerances ?? [],
    },
    faults: over.faults ?? [{ type: 'proxy.latency', proxy: 'payments', latency: '300ms' }],
    ...(over.abort ? { abort: over.abort } : {}),
  };
}

describe('traffic cohorts and the proxies that split them agree before anything runs', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => tmp.cleanup());
  let n = 0;
  const load = (e: Record<string, unknown>) => {
    const file = join(tmp.dir, `e${n++}.yaml`);
    writeFileSync(file, stringify(e));
    return loadExperimentFile(file, { env: {} });
  };

  it('a proxy that writes no cohort is put in cohort mode with cohort.traffic\'s key, shares and salt', () => {
    const l = load(experiment({}));
    assert.deepEqual(l.issues, []);
    const proxies = (l.experiment!.target.proxy as { proxies: { cohort: unknown }[] }).proxies;
    assert.deepEqual(proxies[0]!.cohort, { mode: 'http', key: 'header:x-user-id', canary: 0.1, control: 0.1, salt: 'checkout-7' });
  });

  it('a partial cohort is completed from cohort.traffic', () => {
    const l = load(experiment({ proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: { key: 'header:X-User-Id' } }] }));
    assert.deepEqual(l.issues, []);
    const proxies = (l.experiment!.target.proxy as { proxies: { cohort: Record<string, unknown> }[] }).proxies;
    assert.equal(proxies[0]!.cohort.salt, 'checkout-7');
  });

  const refused: [what: string, e: Record<string, unknown>, path: string, message: RegExp][] = [
    ['another salt on the proxy', experiment({ proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: { salt: 'other' } }] }), 'target.proxy.proxies[0].cohort.salt', /is "other" but cohort.traffic.salt is "checkout-7": the proxy would hurt other users/],
    ['other shares on the proxy', experiment({ proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: { canary: '20%' } }] }), 'target.proxy.proxies[0].cohort.canary', /is 0.2 but cohort.traffic.canary is 0.1/],
    ['a cohort proxy without cohort.traffic', experiment({ traffic: null, proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: { key: 'header:x-user-id', canary: '10%', salt: 's' } }] }), 'target.proxy.proxies[0].cohort', /declares no cohort.traffic: no check could tell its canary from its control/],
    ['a canary fault on a plain TCP proxy', experiment({ proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: false }] }), 'faults[0].cohort', /plain TCP proxy, so proxy.latency would reach every user/],
    ['proxy.abort on a plain TCP proxy', experiment({ proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: false }], faults: [{ type: 'proxy.abort', proxy: 'payments', status: 503 }] }), 'faults[0].type', /answers HTTP requests, but proxy "payments" is a plain TCP proxy/],
    ['a fault on an undeclared embedded proxy', experiment({ faults: [{ type: 'proxy.latency', proxy: 'paymnets', latency: '1s' }] }), 'faults[0].proxy', /no proxy named "paymnets" in target.proxy.proxies/],
    ['a load probe labelling by another salt', experiment({ probes: [{ name: 'shop', type: 'load', url: 'http://127.0.0.1:8080/', rate: 10, cohort: { ...traffic, salt: 'x' } }] }), 'hypothesis.probes[0].cohort.salt', /the probe would call other users canary than the proxies hurt/],
    ['a sequential test on a probe with no cohorts (only a target cohort)', experiment({
      traffic: null, proxies: [], faults: [],
      targets: { driver: 'docker', selector: { labels: { app: 'x' } } },
      abort: ['sequential shop.errors'],
    }), 'abort[0]', /could never fire: probe "shop" \(load\) measures only untouched/],
  ];
  for (const [what, e, path, message] of refused) {
    it(`refuses ${what}, at ${path}`, () => {
      const l = load(e);
      assert.equal(l.experiment, undefined, 'not valid');
      const issue = l.issues.find((i) => i.path === path);
      assert.ok(issue, `no issue at ${path}: ${l.issues.map(formatIssue).join(' | ')}`);
      assert.match(issue.message, message);
      assert.ok(issue.line! >= 1);
    });
  }

  it('"cohort: all" on a fault says on purpose that a plain TCP proxy hurts everyone', () => {
    const l = load(experiment({ proxies: [{ name: 'payments', upstream: '127.0.0.1:9000', cohort: false }], faults: [{ type: 'proxy.latency', proxy: 'payments', latency: '1s', cohort: 'all' }] }));
    assert.deepEqual(l.issues.map(formatIssue), []);
  });
});
