import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { collectIssues } from '../../src/experiment/issues.js';
import { loadProbe } from '../../src/probes/load/index.js';
import { prometheusProbe, prometheusSignalsProbe } from '../../src/probes/prometheus/index.js';
import { hostSaturationProbe, hostSaturationSampleProbe } from '../../src/probes/saturation/index.js';
import type { ProbeType } from '../../src/probes/types.js';

const DIR = join(import.meta.dirname, '../../probes');
const OURS: ProbeType[] = [loadProbe, prometheusProbe, prometheusSignalsProbe, hostSaturationProbe, hostSaturationSampleProbe];
const VARS: Record<string, string> = { storefront_url: 'http://127.0.0.1:8080', prometheus_url: 'http://127.0.0.1:9090' };

describe('reusable probe definitions (probes/*.yaml)', () => {
  const files = ['storefront-load.yaml', 'prometheus-golden-signals.yaml', 'host-saturation.yaml'];
  it('are all present', () => {
    const present = readdirSync(DIR);
    for (const f of files) assert.ok(present.includes(f), `probes/${f}`);
  });
  for (const file of files) {
    it(`${file} is named after its file and its attributes validate`, () => {
      const text = readFileSync(join(DIR, file), 'utf8').replace(/\$\{(\w+)\}/g, (ref, name: string) => VARS[name] ?? ref);
      const doc = parseYaml(text) as Record<string, unknown>;
      assert.equal(doc.name, basename(file, '.yaml'));
      assert.equal(typeof doc.description, 'string');
      const type = OURS.find((t) => t.type === doc.type);
      assert.ok(type, `type ${String(doc.type)}`);
      const { name: _n, type: _t, description: _d, ...attrs } = doc;
      const issues = collectIssues();
      assert.notEqual(type.parse(attrs, issues), undefined, JSON.stringify(issues.issues));
      assert.deepEqual(issues.issues, []);
      assert.ok(!/\$\{/.test(JSON.stringify(doc)), 'no ${...} left that the experiment variables would fail to fill');
    });
  }
});
