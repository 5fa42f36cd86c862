import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { createInterface } from 'node:readline';
import type * as K8s from '@kubernetes/client-node';
import { FirebreakError, type ErrorCode } from '../../errors.js';
import { isAbortError, withTimeout } from '../../util/abort.js';
import { SERVICE_ACCOUNT_DIR, type KubernetesConfig } from './config.js';

export type KubeLib = typeof K8s;

let loading: Promise<KubeLib> | undefined;

/**
 * Loads @kubernetes/client-node on first use: it takes over a second to import, which a run that does
 * not touch Kubernetes should not pay.
 */
export function loadClient(): Promise<KubeLib> {
  loading ??= import('@kubernetes/client-node');
  return loading;
}

/** A live connection to one cluster: what faults and probes receive as `ctx.connection`. */
export interface KubeConnection {
  lib: KubeLib;
  kc: K8s.KubeConfig;
  config: KubernetesConfig;
  /** The API server's address, for messages. */
  server: string;
  context: string | null;
  /** The context's namespace (in a cluster: the pod's), the default for selectors and faults. */
  defaultNamespace: string;
  core: K8s.CoreV1Api;
  apps: K8s.AppsV1Api;
  policy: K8s.PolicyV1Api;
  networking: K8s.NetworkingV1Api;
  autoscaling: K8s.AutoscalingV2Api;
  custom: K8s.CustomObjectsApi;
  version: K8s.VersionApi;
}

/** What every API call needs: the caller's signal and budget, and the connection. */
export interface KubeCallContext {
  signal: AbortSignal;
  timeoutMs: number;
  connection: KubeConnection;
}

/** What a call does, for its timeout message and for errors that name the verb and the resource. */
export interface CallTarget {
  verb: string;
  /** Plural, with a subresource when there is one: `pods`, `pods/eviction`, `deployments/scale`. */
  resource: string;
  group?: string;
  namespace?: string;
  name?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/**
 * Builds a client for the config. Kubeconfig files are merged as kubectl merges them (the first file to
 * define a name wins) and the recorded context is selected, so the environment of a later process
 * cannot redirect a ledgered config to another cluster.
 */
export async function openKube(config: KubernetesConfig): Promise<KubeConnection> {
  const lib = await loadClient();
  const kc = new lib.KubeConfig();
  let defaultNamespace = 'default';
  if (config.inCluster) {
    const token = `${SERVICE_ACCOUNT_DIR}/token`;
    if (!process.env.KUBERNETES_SERVICE_HOST || !existsSync(token)) {
      throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `not running in a Kubernetes pod: ${!process.env.KUBERNETES_SERVICE_HOST ? 'KUBERNETES_SERVICE_HOST is not set' : `no service account token at ${token}`}`);
    }
    kc.loadFromCluster();
    defaultNamespace = readText(`${SERVICE_ACCOUNT_DIR}/namespace`) ?? 'default';
  } else {
    const files = config.kubeconfig ?? [];
    const loaded: K8s.KubeConfig[] = [];
    for (const f of files) {
      if (!existsSync(f)) continue;
      const one = new lib.KubeConfig();
      try {
        one.loadFromFile(f);
      } catch (err) {
        throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `cannot read the kubeconfig ${f}: ${(err as Error).message}`, { cause: err });
      }
      loaded.push(one);
    }
    if (loaded.length === 0) throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `no kubeconfig found (looked for ${files.join(', ') || 'none'}) and not in a cluster`);
    const firstWins = <T extends { name: string }>(lists: T[][]): T[] => {
      const out: T[] = [];
      for (const l of lists) for (const x of l) if (!out.some((y) => y.name === x.name)) out.push(x);
      return out;
    };
    kc.loadFromOptions({
      clusters: firstWins(loaded.map((k) => k.clusters)),
      users: firstWins(loaded.map((k) => k.users)),
      contexts: firstWins(loaded.map((k) => k.contexts)),
      currentContext: config.context ?? loaded.find((k) => k.currentContext)?.currentContext ?? '',
    });
    const ctxName = kc.getCurrentContext();
    const c = kc.getContextObject(ctxName);
    if (!c) throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `context "${ctxName}" is not in the kubeconfig ${files.join(', ')} (contexts: ${kc.contexts.map((x) => x.name).join(', ') || 'none'})`);
    if (!kc.getCluster(c.cluster)) throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `context "${ctxName}" names cluster "${c.cluster}", which the kubeconfig does not define`);
    defaultNamespace = c.namespace || 'default';
  }
  const cluster = kc.getCurrentCluster()!;
  if (cluster.server.startsWith('http://') && !cluster.skipTLSVerify) {
    throw new FirebreakError(
      'FIREBREAK_E_DRIVER_UNREACHABLE',
      `the API server ${cluster.server} is plain HTTP: @kubernetes/client-node refuses it unless the kubeconfig's cluster sets insecure-skip-tls-verify: true (use https, or set it deliberately)`,
    );
  }
  return {
    lib,
    kc,
    config,
    server: cluster.server,
    context: config.inCluster ? null : kc.getCurrentContext(),
    defaultNamespace,
    core: kc.makeApiClient(lib.CoreV1Api),
    apps: kc.makeApiClient(lib.AppsV1Api),
    policy: kc.makeApiClient(lib.PolicyV1Api),
    networking: kc.makeApiClient(lib.NetworkingV1Api),
    autoscaling: kc.makeApiClient(lib.AutoscalingV2Api),
    custom: kc.makeApiClient(lib.CustomObjectsApi),
    version: kc.makeApiClient(lib.VersionApi),
  };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Per-call options for client-node 1.4, which has no per-request timeout: a middleware puts the call's
 * abort signal on the request, and for a PATCH sets the content type (client-node sends JSON Patch
 * unless told otherwise).
 */
function callOptions(lib: KubeLib, signal: AbortSignal, patch?: PatchType): K8s.ConfigurationOptions {
  const middleware = {
    pre: (rc: K8s.RequestContext) => {
      rc.setSignal(signal);
      if (patch) rc.setHeaderParam('Content-Type', PATCH_CONTENT_TYPES[patch]);
      return new lib.Observable(Promise.resolve(rc));
    },
    post: (rsp: K8s.ResponseContext) => new lib.Observable(Promise.resolve(rsp)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as K8s.ConfigurationOptions;
}

/**
 * Runs one API call within the budget (the config's, else the caller's, plus `extraMs` for calls that
 * wait on purpose). API refusals become coded errors that name the verb and resource: 403 is
 * FIREBREAK_E_KUBERNETES_FORBIDDEN, the rest FIREBREAK_E_KUBERNETES with the HTTP status and the
 * server's Status in `details`. Timeouts stay FIREBREAK_E_TIMEOUT; the caller's abort passes through.
 */
export async function kubeCall<T>(ctx: KubeCallContext, target: CallTarget, work: (options: K8s.ConfigurationOptions) => Promise<T>, opts: { patch?: PatchType; extraMs?: number } = {}): Promise<T> {
  const budget = (ctx.connection.config.timeoutMs ?? ctx.timeoutMs) + (opts.extraMs ?? 0);
  try {
    return await withTimeout(`kubernetes ${describeTarget(target)}`, budget, (signal) => work(callOptions(ctx.connection.lib, signal, opts.patch)), ctx.signal);
  } catch (err) {
    if (err instanceof FirebreakError) throw err;
    if (ctx.signal.aborted && (isAbortError(err) || err === ctx.signal.reason)) throw err;
    throw kubeError(err, target, ctx.connection.server);
  }
}

export function describeTarget(t: CallTarget): string {
  const what = `${t.resource}${t.group ? `.${t.group}` : ''}${t.name ? ` "${t.name}"` : ''}`;
  return `${t.verb} ${what}${t.namespace ? ` in namespace "${t.namespace}"` : ''}`;
}

/** The Status object a failed call answered with, parsed (client-node hands error bodies over as a JSON string). */
export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; group?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

export function parseStatusBody(body: unknown): KubeStatus | undefined {
  let b = body;
  if (Buffer.isBuffer(b)) b = b.toString('utf8');
  if (typeof b === 'string') {
    const text = b;
    try {
      b = JSON.parse(text);
    } catch {
      return text.trim() ? { message: text.trim().slice(0, 500) } : undefined;
    }
  }
  return b && typeof b === 'object' ? (b as KubeStatus) : undefined;
}

/** Turns what client-node threw into a coded error naming the call. */
export function kubeError(err: unknown, target: CallTarget, server: string): FirebreakError {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') {
    const status = parseStatusBody((err as { body?: unknown }).body);
    const serverSays = status?.message ?? `HTTP ${code}`;
    const causes = (status?.details?.causes ?? []).map((c) => c.message).filter(Boolean);
    const details = { statusCode: code, reason: status?.reason ?? null, verb: target.verb, resource: target.resource, namespace: target.namespace ?? null, name: target.name ?? null, status: status ?? null };
    if (code === 403) {
      const where = target.namespace ? `in namespace "${target.namespace}"` : 'at the cluster scope';
      return new FirebreakError('FIREBREAK_E_KUBERNETES_FORBIDDEN', `no permission to ${target.verb} ${target.resource}${target.group ? ` (API group ${target.group})` : ''} ${where}: ${serverSays}`, { cause: err, details });
    }
    if (code === 401) return new FirebreakError('FIREBREAK_E_KUBERNETES', `${describeTarget(target)} at ${server}: not authenticated (401); check the kubeconfig's credentials`, { cause: err, details });
    const extra = causes.length && !serverSays.includes(causes[0]!) ? ` (${causes.join('; ')})` : '';
    return new FirebreakError('FIREBREAK_E_KUBERNETES', `${describeTarget(target)} at ${server}: ${serverSays}${extra} (HTTP ${code}${status?.reason ? ` ${status.reason}` : ''})`, { cause: err, details });
  }
  return new FirebreakError('FIREBREAK_E_KUBERNETES', `${describeTarget(target)}: the API server at ${server} did not answer: ${reasonOf(err)}`, { cause: err, details: { unreachable: true } });
}

/** A network or TLS failure's own words (`connect ECONNREFUSED 127.0.0.1:6443`, `self-signed certificate`). */
export function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /failed, reason: (.*)$/s.exec(message);
  return (m ? m[1]! : message).trim();
}

/** The HTTP status of a failed call, if the server answered. */
export function statusOf(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const d = (e as { details?: { statusCode?: unknown } }).details;
    if (d && typeof d.statusCode === 'number') return d.statusCode;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
/** A failed JSON Patch `test` (the object changed under us) is 422 Invalid. */
export const isInvalid = (err: unknown): boolean => statusOf(err) === 422;

/** True when the error says the API could not be reached at all (no answer, not a refusal). */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof FirebreakError && err.code === 'FIREBREAK_E_TIMEOUT') return true;
  return Boolean((err as { details?: { unreachable?: unknown } }).details?.unreachable);
}

/** Re-codes an error for a probe: whatever kept the probe from measuring is FIREBREAK_E_PROBE. */
export function probeError(probe: string, err: unknown): FirebreakError {
  if (err instanceof FirebreakError && err.code === 'FIREBREAK_E_PROBE') return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FirebreakError('FIREBREAK_E_PROBE', `${probe} could not measure: ${message}`, { cause: err, details: { code: (err as { code?: ErrorCode }).code ?? null } });
}

// ---- watches ----------------------------------------------------------------------------------------

export interface WatchRequest {
  /** API path of the collection: `/api/v1/namespaces/shop/pods`, `/apis/apps/v1/namespaces/shop/deployments`. */
  path: string;
  resourceVersion: string;
  fieldSelector?: string;
  labelSelector?: string;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: any } | { type: 'ERROR'; object: KubeStatus };

/**
 * Watches a collection from a resourceVersion until `onEvent` returns true, the stream ends, or the
 * budget runs out. client-node's Watch cannot be bounded (its request has no timeout until the response
 * starts), so this one uses the kubeconfig's credentials and TLS agent with node's own HTTP client,
 * the call's abort signal, and `timeoutSeconds` for the server. Returns why it stopped; an ERROR event
 * (410 Gone for a resourceVersion too old) is `expired` or thrown as FIREBREAK_E_KUBERNETES.
 */
export async function watchCollection(ctx: KubeCallContext, target: CallTarget, req: WatchRequest, budgetMs: number, onEvent: (e: WatchEvent) => boolean): Promise<'done' | 'ended' | 'expired'> {
  const conn = ctx.connection;
  const url = new URL(conn.server.replace(/\/+$/, '') + req.path);
  url.searchParams.set('watch', 'true');
  url.searchParams.set('resourceVersion', req.resourceVersion);
  url.searchParams.set('allowWatchBookmarks', 'true');
  url.searchParams.set('timeoutSeconds', String(Math.max(1, Math.ceil(budgetMs / 1000))));
  if (req.fieldSelector) url.searchParams.set('fieldSelector', req.fieldSelector);
  if (req.labelSelector) url.searchParams.set('labelSelector', req.labelSelector);
  const options = await conn.kc.applyToFetchOptions({});
  const headers: Record<string, string> = { Accept: 'application/json' };
  (options.headers as unknown as { forEach(cb: (v: string, k: string) => void): void } | undefined)?.forEach((v, k) => (headers[k] = v));
  const agent = options.agent as HttpAgent | HttpsAgent | undefined;
  return withTimeout(`kubernetes watch ${describeTarget(target)}`, budgetMs, (signal) => new Promise<'done' | 'ended' | 'expired'>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: 'GET', headers, ...(agent ? { agent } : {}), signal }, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(kubeError(Object.assign(new Error(`HTTP ${res.statusCode}`), { code: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }), target, conn.server)));
        return;
      }
      let settled = false;
      const finish = (why: 'done' | 'ended' | 'expired'): void => {
        if (settled) return;
        settled = true;
        res.destroy();
        resolve(why);
      };
      const lines = createInterface({ input: res });
      lines.on('line', (line) => {
        if (settled || !line.trim()) return;
        let e: WatchEvent;
        try {
          e = JSON.parse(line) as WatchEvent;
        } catch {
          return;
        }
        if (e.type === 'ERROR') {
          if (e.object?.code === 410) return finish('expired');
          settled = true;
          res.destroy();
          reject(kubeError(Object.assign(new Error('watch error'), { code: e.object?.code ?? 500, body: e.object }), target, conn.server));
          return;
        }
        try {
          if (onEvent(e)) finish('done');
        } catch (err) {
          settled = true;
          res.destroy();
          reject(err);
        }
      });
      lines.on('close', () => finish('ended'));
      const failed = (err: Error): void => {
        if (!settled) {
          settled = true;
          reject(signal.aborted ? signal.reason : kubeError(err, target, conn.server));
        }
      };
      res.on('error', failed);
      lines.on('error', failed);
    });
    request.on('error', (err) => reject(signal.aborted ? signal.reason : kubeError(err, target, conn.server)));
    request.end();
  }), ctx.signal);
}
