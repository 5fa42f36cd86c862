import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { IssueSink } from '../../experiment/issues.js';
import type { JsonObject } from '../../faults/types.js';
import { readTimeout } from '../core/attrs.js';

/**
 * The driver's section of `target.kubernetes`. Only file paths, names and limits: it is ledgered with
 * every fault so `firebreak recover` reaches the same cluster, as the same user, in the same context.
 */
export interface KubernetesConfig extends JsonObject {
  /** Kubeconfig files, merged as kubectl merges KUBECONFIG (the first file to set a value wins). Null in a cluster. */
  kubeconfig: string[] | null;
  /** The context to use; resolved from the files' current-context when readable, so a later switch does not move `recover`. */
  context: string | null;
  /** Use the pod's service account (token, CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount). */
  inCluster: boolean;
  /** Allow-list: targets, faults and sweeps only in these namespaces. Null: the selector's or the context's namespace. */
  namespaces: string[] | null;
  /** Budget for one API call; null: the caller's. */
  timeoutMs: number | null;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const KNOWN = ['kubeconfig', 'context', 'inCluster', 'namespaces', 'timeout'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Validates `target.kubernetes` and fills what it leaves out the way kubectl does: KUBECONFIG (a list
 * of files), else ~/.kube/config, else the pod's service account when KUBERNETES_SERVICE_HOST is set.
 * The files' current context is written into the result. Reads the environment and the kubeconfig
 * files only; connects to nothing.
 */
export function parseKubernetesConfig(raw: Record<string, unknown> | undefined, issues: IssueSink, env: NodeJS.ProcessEnv = process.env): KubernetesConfig | undefined {
  const input = raw ?? {};
  const before = issues.count;
  for (const k of Object.keys(input)) {
    if (!KNOWN.includes(k)) issues.add(k, `unknown setting "${k}"`, `one of ${KNOWN.join(', ')}`);
  }
  const home = env.HOME || homedir();
  let inCluster = false;
  if (input.inCluster !== undefined) {
    if (typeof input.inCluster === 'boolean') inCluster = input.inCluster;
    else issues.add('inCluster', `must be true or false, got ${JSON.stringify(input.inCluster)}`);
  }
  let files: string[] | null = null;
  if (input.kubeconfig !== undefined) {
    const list = typeof input.kubeconfig === 'string' ? [input.kubeconfig] : input.kubeconfig;
    if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string' && f.trim() !== '')) {
      issues.add('kubeconfig', `must be a file path or a list of them, got ${JSON.stringify(input.kubeconfig)}`);
    } else files = (list as string[]).map((f) => expandPath(f, home));
    if (inCluster) issues.add('inCluster', 'cannot be combined with kubeconfig', 'one of them');
  }
  if (!inCluster && files === null) {
    const fromEnv = env.KUBECONFIG?.split(delimiter).map((f) => f.trim()).filter(Boolean);
    const fallback = expandPath('~/.kube/config', home);
    if (fromEnv?.length) files = fromEnv.map((f) => expandPath(f, home));
    else if (existsSync(fallback) || !env.KUBERNETES_SERVICE_HOST) files = [fallback];
    else inCluster = true;
  }
  let context: string | null = null;
  if (input.context !== undefined) {
    if (typeof input.context !== 'string' || input.context.trim() === '') issues.add('context', `must be a non-empty string, got ${JSON.stringify(input.context)}`);
    else if (inCluster) issues.add('context', 'has no meaning in a cluster (the service account is used)');
    else context = input.context.trim();
  }
  if (context === null && files) context = currentContext(files);

  let namespaces: string[] | null = null;
  if (input.namespaces !== undefined) {
    const v = input.namespaces;
    if (!Array.isArray(v) || v.length === 0) issues.add('namespaces', `must be a non-empty list of namespace names, got ${JSON.stringify(v)}`);
    else {
      for (const [i, n] of v.entries()) {
        if (typeof n !== 'string' || !DNS_LABEL.test(n) || n.length > 63) issues.add(`namespaces[${i}]`, `is not a namespace name: ${JSON.stringify(n)}`, 'a lowercase RFC 1123 label like shop');
      }
      namespaces = [...new Set(v.filter((n): n is string => typeof n === 'string'))];
    }
  }
  const timeoutMs = readTimeout(input, issues);
  if (issues.count > before || timeoutMs === undefined) return undefined;
  return { kubeconfig: inCluster ? null : files, context, inCluster, namespaces, timeoutMs };
}

/** kubectl's rule for merged kubeconfig files: the first file that sets current-context wins. */
function currentContext(files: string[]): string | null {
  for (const f of files) {
    try {
      const doc = parseYaml(readFileSync(f, 'utf8')) as { 'current-context'?: unknown } | null;
      const c = doc?.['current-context'];
      if (typeof c === 'string' && c !== '') return c;
    } catch {
      // unreadable or not YAML: connect reports it with the file's name
    }
  }
  return null;
}

function expandPath(p: string, home: string): string {
  const t = p.trim();
  return resolve(t === '~' ? home : t.startsWith('~/') ? `${home}${t.slice(1)}` : t);
}

/** True when `ns` may be touched under the allow-list (no list: any). */
export function namespaceAllowed(config: Pick<KubernetesConfig, 'namespaces'>, ns: string): boolean {
  return config.namespaces === null || config.namespaces.includes(ns);
}

export { DNS_LABEL };
