import { FirebreakError, isFirebreakError } from '../../errors.js';
import { isAbortError } from '../../util/abort.js';
import type { Driver } from '../types.js';
import { DISRUPTING_FAULTS, checkDisruptionBudgets } from './budgets.js';
import { claimTarget, releaseTarget } from './claims.js';
import { kubeCall, openKube, type KubeConnection } from './client.js';
import { parseKubernetesConfig, type KubernetesConfig } from './config.js';
import { meshAbort } from './faults/mesh-abort.js';
import { meshDelay } from './faults/mesh-delay.js';
import { partition } from './faults/partition.js';
import { podFailure } from './faults/pod-failure.js';
import { podKill } from './faults/pod-kill.js';
import { scale } from './faults/scale.js';
import { eventsProbe } from './probes/events.js';
import { podMetricsProbe } from './probes/metrics.js';
import { podsProbe } from './probes/pods.js';
import { workloadProbe } from './probes/workload.js';
import { matchesPod, parseKubernetesSelector } from './selector.js';
import { sweepKubernetes } from './sweep.js';
import { listKubernetesTargets, requireNamespace } from './targets.js';

/**
 * Pods, workloads, NetworkPolicies and Istio VirtualServices through the Kubernetes API
 * (@kubernetes/client-node, loaded on first connect). Every call has a timeout; faults address pods by
 * uid and mark what they touch so a revert, a recover or a sweep finds exactly that.
 */
export const kubernetesDriver: Driver<KubernetesConfig, KubeConnection> = {
  name: 'kubernetes',
  summary: 'Pods and workloads on a Kubernetes cluster: pod kill, pod failure, network partition, scale; Istio delay and abort for the canary.',
  faults: [podKill, podFailure, partition, scale, meshDelay, meshAbort],
  probes: [workloadProbe, podsProbe, eventsProbe, podMetricsProbe],
  parseConfig(raw, issues) {
    return parseKubernetesConfig(raw, issues);
  },
  parseSelector(raw, issues) {
    parseKubernetesSelector(raw, issues);
  },
  async connect(config, ctx) {
    const where = config.inCluster ? 'in the cluster (service account)' : `of context ${config.context ?? '(current)'} in ${(config.kubeconfig ?? []).join(', ')}`;
    let conn: KubeConnection;
    try {
      conn = await openKube(config);
    } catch (err) {
      if (isFirebreakError(err)) throw err;
      throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `cannot set up the Kubernetes client ${where}: ${(err as Error).message}`, { cause: err });
    }
    const call = { signal: ctx.signal, timeoutMs: config.timeoutMs ?? ctx.timeoutMs, connection: conn };
    try {
      await kubeCall(call, { verb: 'get', resource: 'version' }, (o) => conn.version.getCode({}, o));
    } catch (err) {
      if (ctx.signal.aborted && (isAbortError(err) || err === ctx.signal.reason)) throw err;
      const reason = isFirebreakError(err, 'FIREBREAK_E_TIMEOUT') ? `no answer within ${call.timeoutMs} ms` : (err as Error).message;
      throw new FirebreakError('FIREBREAK_E_DRIVER_UNREACHABLE', `Kubernetes API at ${conn.server} did not answer: ${reason}`, { cause: err });
    }
    if (ctx.purpose !== 'recover') for (const ns of config.namespaces ?? []) await requireNamespace(call, ns);
    ctx.logger.debug({ server: conn.server, context: conn.context }, 'kubernetes API answered');
    return conn;
  },
  async listTargets(conn, selector, ctx) {
    return listKubernetesTargets({ signal: ctx.signal, timeoutMs: ctx.timeoutMs, connection: conn }, selector);
  },
  matchesTarget(target, selector) {
    return matchesPod(target, selector);
  },
  async checkSelection(conn, selection, faults, ctx) {
    const disrupting = faults.filter((f) => DISRUPTING_FAULTS.includes(f.type) && !(f.attrs as { ignoreDisruptionBudgets?: boolean }).ignoreDisruptionBudgets);
    if (disrupting.length) await checkDisruptionBudgets({ signal: ctx.signal, timeoutMs: ctx.timeoutMs, connection: conn }, selection.canary);
  },
  async claimTarget(conn, target, claim, ctx) {
    await claimTarget({ signal: ctx.signal, timeoutMs: ctx.timeoutMs, connection: conn }, target, claim);
  },
  async releaseTarget(conn, target, claim, ctx) {
    await releaseTarget({ signal: ctx.signal, timeoutMs: ctx.timeoutMs, connection: conn }, target, claim);
  },
  async sweep(conn, opts, ctx) {
    return sweepKubernetes({ signal: ctx.signal, timeoutMs: ctx.timeoutMs, connection: conn, logger: ctx.logger }, opts);
  },
};
