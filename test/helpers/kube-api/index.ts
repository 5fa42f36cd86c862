import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectIssues } from '../../../src/experiment/issues.js';
import type { FaultContext, Target } from '../../../src/faults/types.js';
import { silentLogger } from '../../../src/log.js';
import type { KubeConnection } from '../../../src/drivers/kubernetes/client.js';
import { parseKubernetesConfig, type KubernetesConfig } from '../../../src/drivers/kubernetes/config.js';
import { kubernetesDriver } from '../../../src/drivers/kubernetes/driver.js';
import { listKubernetesTargets } from '../../../src/drivers/kubernetes/targets.js';
import { isReady } from './cluster.js';
import { kubeconfigYaml, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { kubectl, kubectlJson, type KubectlResult } from './kubectl.js';
import { startKubeApi, type KubeApiOptions, type KubeApiServer } from './server.js';
import type { KubeObject } from './store.js';

export { startKubeApi, ADMIN_TOKEN, KubeApiServer } from './server.js';
export { ANNOTATIONS, isReady } from './cluster.js';
export { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
export { kubectl, kubectlJson, kubectlAvailable, kubectlMinor, clientDryRunFlags, requireKubectl } from './kubectl.js';
export { testPki } from './tls.js';

export function callContext(timeoutMs = 10_000): { signal: AbortSignal; logger: ReturnType<typeof silentLogger>; timeoutMs: number } {
  return { signal: new AbortController().signal, logger: silentLogger(), timeoutMs };
}

/** Polls `check` every `everyMs` until it is true, or fails after `timeoutMs` naming `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface WorkloadOptions {
  replicas?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  image?: string;
  /** Give the container a readiness probe (then a pause image never becomes ready). */
  readinessProbe?: boolean;
  containers?: { name: string; image: string }[];
}

/** A test server, a kubeconfig for it, and a connection of the driver, for one suite. */
export class KubeTestbed {
  api!: KubeApiServer;
  dir!: string;
  kubeconfig!: string;
  config!: KubernetesConfig;
  conn!: KubeConnection;
  namespace = 'shop';
  private seq = 0;

  async start(opts: KubeApiOptions = {}): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'fb-kube-'));
    this.api = await startKubeApi(opts);
    this.api.createNamespace(this.namespace);
    this.kubeconfig = writeKubeconfig(join(this.dir, 'kubeconfig'), this.api, { namespace: this.namespace });
    this.config = this.parseConfig({ kubeconfig: this.kubeconfig });
    this.conn = await kubernetesDriver.connect(this.config, callContext());
  }

  async stop(): Promise<void> {
    await this.api?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  parseConfig(raw: Record<string, unknown>): KubernetesConfig {
    const issues = collectIssues();
    const c = parseKubernetesConfig(raw, issues, {});
    if (!c) throw new Error(issues.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    return c;
  }

  /** Writes another kubeconfig for this server (another user's token, another address). */
  kubeconfigFor(name: string, opts: KubeconfigOptions): string {
    return writeKubeconfig(join(this.dir, name), this.api, { namespace: this.namespace, ...opts });
  }

  kubeconfigText(opts: KubeconfigOptions = {}): string {
    return kubeconfigYaml(this.api, opts);
  }

  faultContext(conn: KubeConnection = this.conn, extra: Partial<FaultContext<KubeConnection>> = {}): FaultContext<KubeConnection> {
    this.seq++;
    return { signal: new AbortController().signal, logger: silentLogger(), runId: 'testrun1', instanceId: `testrun1-${this.seq}-0`, timeoutMs: 5_000, connection: conn, ...extra };
  }

  private template(name: string, o: WorkloadOptions): object {
    const labels = { app: name, ...(o.labels ?? {}) };
    const containers = o.containers ?? [{ name: 'app', image: o.image ?? 'nginx:1.25' }];
    return {
      metadata: { labels },
      spec: { terminationGracePeriodSeconds: 1, containers: containers.map((c) => ({ ...c, ...(o.readinessProbe ? { readinessProbe: { httpGet: { path: '/healthz', port: 8080 } } } : {}) })) },
    };
  }

  /** A Deployment whose pods are all ready, in the test namespace unless given. */
  async deployment(name: string, o: WorkloadOptions = {}, ns = this.namespace): Promise<KubeObject> {
    return this.workload('Deployment', name, o, ns);
  }

  async statefulSet(name: string, o: WorkloadOptions = {}, ns = this.namespace): Promise<KubeObject> {
    return this.workload('StatefulSet', name, o, ns);
  }

  async daemonSet(name: string, o: WorkloadOptions = {}, ns = this.namespace): Promise<KubeObject> {
    return this.workload('DaemonSet', name, o, ns);
  }

  private async workload(kind: string, name: string, o: WorkloadOptions, ns: string): Promise<KubeObject> {
    this.api.createNamespace(ns);
    const [w] = this.api.apply({
      apiVersion: 'apps/v1', kind,
      metadata: { name, namespace: ns, labels: { app: name }, ...(o.annotations ? { annotations: o.annotations } : {}) },
      spec: { ...(kind === 'DaemonSet' ? {} : { replicas: o.replicas ?? 3 }), selector: { matchLabels: { app: name } }, template: this.template(name, o), ...(kind === 'StatefulSet' ? { serviceName: name } : {}) },
    });
    const want = kind === 'DaemonSet' ? this.api.cluster.options.nodes.length : (o.replicas ?? 3);
    if (o.annotations?.['kube-api.test/never-ready'] !== 'true') await eventually(`${kind} ${name} to be ready`, () => this.readyPods(ns, { app: name }).length === want);
    return w!;
  }

  /** Pods in the store matching labels (not terminating). */
  pods(ns: string, labels: Record<string, string>): KubeObject[] {
    return this.api.store.list('', 'pods', ns).filter((p) => !p.metadata.deletionTimestamp && Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v));
  }

  readyPods(ns: string, labels: Record<string, string>): KubeObject[] {
    return this.pods(ns, labels).filter(isReady);
  }

  /** The pods of a selector as the driver lists them (targets). */
  async targets(selector: Record<string, unknown>): Promise<Target[]> {
    return listKubernetesTargets({ signal: new AbortController().signal, timeoutMs: 5_000, connection: this.conn }, { namespaces: [this.namespace], ...selector });
  }

  kubectl(args: string[], opts: { input?: string } = {}): Promise<KubectlResult> {
    return kubectl(this.kubeconfig, args, opts);
  }

  kubectlJson<T = any>(args: string[]): Promise<T> {
    return kubectlJson<T>(this.kubeconfig, args);
  }
}

/** A testbed started before the suite and stopped after it. */
export function useKubeTestbed(opts: KubeApiOptions = {}): KubeTestbed {
  const bed = new KubeTestbed();
  before(async function () {
    this.timeout(30_000);
    await bed.start(opts);
  });
  after(async () => bed.stop());
  return bed;
}

/** A value through JSON, as the ledger hands a state to another process. */
export function throughJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
