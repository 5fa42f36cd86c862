import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKubernetesConfig } from '../../../src/drivers/kubernetes/config.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import { tempDir } from '../../helpers/cli.js';

function parse(raw: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv) {
  const issues = collectIssues();
  const config = parseKubernetesConfig(raw, issues, env);
  return { config, issues: issues.issues.map((i) => `${i.path}: ${i.message}`) };
}

const kubeconfig = (current: string) => `apiVersion: v1\nkind: Config\ncurrent-context: ${current}\ncontexts: []\nclusters: []\nusers: []\n`;

describe('target.kubernetes settings', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('reads KUBECONFIG as a list of files, and records the first current-context as kubectl does', () => {
    const a = join(tmp.dir, 'a.yaml');
    const b = join(tmp.dir, 'b.yaml');
    writeFileSync(a, 'apiVersion: v1\nkind: Config\n');
    writeFileSync(b, kubeconfig('staging'));
    const { config, issues } = parse(undefined, { KUBECONFIG: `${a}:${b}`, HOME: tmp.dir });
    assert.deepEqual(issues, []);
    assert.deepEqual(config, { kubeconfig: [a, b], context: 'staging', inCluster: false, namespaces: null, timeoutMs: null });
  });

  it('falls back to ~/.kube/config, then to the pod\'s service account when KUBERNETES_SERVICE_HOST is set', () => {
    assert.deepEqual(parse(undefined, { HOME: tmp.dir }).config?.kubeconfig, [join(tmp.dir, '.kube', 'config')]);
    assert.deepEqual(parse(undefined, { HOME: tmp.dir, KUBERNETES_SERVICE_HOST: '127.0.0.1' }).config, { kubeconfig: null, context: null, inCluster: true, namespaces: null, timeoutMs: null });
    mkdirSync(join(tmp.dir, '.kube'));
    writeFileSync(join(tmp.dir, '.kube', 'config'), kubeconfig('dev'));
    const found = parse(undefined, { HOME: tmp.dir, KUBERNETES_SERVICE_HOST: '127.0.0.1' }).config!;
    assert.equal(found.inCluster, false, 'a kubeconfig wins over the service account, as with kubectl');
    assert.equal(found.context, 'dev');
  });

  it('an explicit kubeconfig (with ~) and context win over the environment', () => {
    const { config } = parse({ kubeconfig: '~/k.yaml', context: 'prod', namespaces: ['shop', 'pay'], timeout: '3s' }, { KUBECONFIG: '/elsewhere', HOME: tmp.dir });
    assert.deepEqual(config, { kubeconfig: [join(tmp.dir, 'k.yaml')], context: 'prod', inCluster: false, namespaces: ['shop', 'pay'], timeoutMs: 3000 });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown setting', { kubeconfg: 'x' }, /^kubeconfg: unknown setting "kubeconfg"/],
    ['a kubeconfig that is not a path', { kubeconfig: [] }, /^kubeconfig: must be a file path or a list of them/],
    ['inCluster with a kubeconfig', { inCluster: true, kubeconfig: '/k' }, /^inCluster: cannot be combined with kubeconfig/],
    ['a context in a cluster', { inCluster: true, context: 'x' }, /^context: has no meaning in a cluster/],
    ['an inCluster that is not a boolean', { inCluster: 'yes' }, /^inCluster: must be true or false/],
    ['a namespace that is not a name', { kubeconfig: '/k', namespaces: ['Shop'] }, /^namespaces\[0\]: is not a namespace name: "Shop"/],
    ['an empty namespace list', { kubeconfig: '/k', namespaces: [] }, /^namespaces: must be a non-empty list/],
    ['a timeout that is not a duration', { kubeconfig: '/k', timeout: 'soon' }, /^timeout: is not a positive duration: "soon"/],
  ];
  for (const [what, raw, re] of bad) {
    it(`refuses ${what}`, () => {
      const { config, issues } = parse(raw, { HOME: tmp.dir });
      assert.equal(config, undefined);
      assert.match(issues.join('\n'), re);
    });
  }
});
