import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ADMIN_TOKEN, type KubeApiServer } from './server.js';
import { testPki } from './tls.js';

export interface KubeconfigOptions {
  token?: string;
  namespace?: string;
  context?: string;
  /** Point at another server address (an unreachable one, say) with the same credentials. */
  server?: string;
}

/** A kubeconfig for the test server, as `kubectl config view --raw` would show one: CA inline, a bearer token. */
export function kubeconfigYaml(api: KubeApiServer, opts: KubeconfigOptions = {}): string {
  const context = opts.context ?? 'kube-api-test';
  const cluster: Record<string, unknown> = { server: opts.server ?? api.url };
  if (api.tls) cluster['certificate-authority-data'] = Buffer.from(testPki().ca).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-api-test', cluster }],
    users: [{ name: 'kube-api-test-user', user: { token: opts.token ?? ADMIN_TOKEN } }],
    contexts: [{ name: context, context: { cluster: 'kube-api-test', user: 'kube-api-test-user', ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': context,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, api: KubeApiServer, opts: KubeconfigOptions = {}): string {
  writeFileSync(path, kubeconfigYaml(api, opts), { mode: 0o600 });
  return path;
}
