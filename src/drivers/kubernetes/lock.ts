import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { readLockHolder, type KnownHolder, type LockHolder } from '../../engine/ledger.js';
import { collectIssues } from '../../experiment/issues.js';
import { isNotFound, kubeCall, type KubeCallContext } from './client.js';
import { parseKubernetesConfig } from './config.js';
import { kubernetesDriver } from './driver.js';

/**
 * Whether the lock of a ledger on a shared volume was held by a pod that is gone. In a pod the host
 * name is the pod's name: another host's lock is taken over only when the API says that pod, in the
 * namespace the caller runs in, no longer exists or has finished (Succeeded or Failed). A lock of this
 * host, or of a pod that still runs, is not this function's business (the ledger's own rules apply).
 */
export async function lockHolderPodGone(ctx: KubeCallContext, holder: LockHolder, namespace: string): Promise<{ gone: boolean; why: string }> {
  if (!holder.host || holder.host === hostname()) return { gone: false, why: 'the lock is this host\'s' };
  const conn = ctx.connection;
  try {
    const pod = await kubeCall(ctx, { verb: 'get', resource: 'pods', namespace, name: holder.host }, (o) => conn.core.readNamespacedPod({ namespace, name: holder.host! }, o));
    const phase = pod.status?.phase ?? 'Unknown';
    if (phase === 'Succeeded' || phase === 'Failed') return { gone: true, why: `pod ${namespace}/${holder.host} has ${phase === 'Failed' ? 'failed' : 'finished'}` };
    return { gone: false, why: `pod ${namespace}/${holder.host} is ${pod.metadata?.deletionTimestamp ? 'terminating' : phase}` };
  } catch (err) {
    if (isNotFound(err)) return { gone: true, why: `pod ${namespace}/${holder.host} no longer exists` };
    throw err;
  }
}

/**
 * For `firebreak recover` in a pod of the CronJob (deploy/): FIREBREAK_POD_NAMESPACE names the
 * namespace the pods run in. When the ledger's lock is held by another host, that host is a pod, and
 * the cluster says whether it is gone (the ledger takes its lock over at once) or still runs (the lock
 * is held, whatever its lease); undefined when there is nothing to ask.
 */
export async function lockHolderFromCluster(ledgerPath: string, opts: { logger: Logger; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<KnownHolder | undefined> {
  const env = opts.env ?? process.env;
  const namespace = env.FIREBREAK_POD_NAMESPACE?.trim();
  if (!namespace) return undefined;
  const holder = readLockHolder(ledgerPath);
  if (!holder?.host || holder.host === hostname()) return undefined;
  const issues = collectIssues();
  const config = parseKubernetesConfig(undefined, issues, env);
  if (!config) return undefined;
  const signal = new AbortController().signal;
  const conn = await kubernetesDriver.connect(config, { signal, logger: opts.logger, timeoutMs: opts.timeoutMs, purpose: 'recover' });
  const verdict = await lockHolderPodGone({ signal, timeoutMs: opts.timeoutMs, connection: conn }, holder, namespace);
  opts.logger.info({ holder, gone: verdict.gone, why: verdict.why }, verdict.gone ? 'taking over the ledger lock of a pod that is gone' : 'the ledger lock is held by a pod that still exists');
  return { holder, gone: verdict.gone, why: verdict.why };
}
