import { createHash, randomBytes } from 'node:crypto';
import { fromLabelSelector, matchesLabels } from './selectors.js';
import { now, randomSuffix, type KubeObject, type Store } from './store.js';

/** How the simulated cluster behaves in time. Per workload, annotations override (see ANNOTATIONS). */
export interface ClusterOptions {
  /** Node names: pods are spread over them; a DaemonSet runs one pod on each. */
  nodes: string[];
  /** Pending to Running. */
  podStartMs: number;
  /** Running to Ready (also after a container restart). */
  readyDelayMs: number;
  /** From a controller noticing a missing pod to creating its replacement. */
  replaceDelayMs: number;
  /** A pod deleted with a grace period exits after min(grace, this): the application stops promptly on SIGTERM. */
  terminateMs: number;
}

export const DEFAULT_CLUSTER: ClusterOptions = { nodes: ['node-a', 'node-b', 'node-c'], podStartMs: 30, readyDelayMs: 80, replaceDelayMs: 150, terminateMs: 60 };

/** Annotations on a workload (or a pod) that change how the simulation treats it. */
export const ANNOTATIONS = {
  replaceDelayMs: 'kube-api.test/replace-delay-ms',
  readyDelayMs: 'kube-api.test/ready-delay-ms',
  /** "true": pods never become Ready (a workload that never recovers). */
  neverReady: 'kube-api.test/never-ready',
  /** "true": the controller stops creating pods (nothing replaces a killed pod). */
  noReplace: 'kube-api.test/no-replace',
  /** On a pod: "true" keeps it Pending (never scheduled). */
  stayPending: 'kube-api.test/stay-pending',
  /** Pod metrics usage: "250m", "64Mi". */
  cpu: 'kube-api.test/cpu',
  memory: 'kube-api.test/memory',
};

const APPS = 'apps';
type Owner = { apiVersion: string; kind: string; name: string; uid: string; controller: true; blockOwnerDeletion: true };

/**
 * The controllers and kubelets of a small cluster, acting on the store the way the real ones act on the
 * API: Deployments own ReplicaSets, ReplicaSets, StatefulSets and DaemonSets own pods and replace the
 * ones that go (after a delay), pods go Pending -> Running -> Ready, a changed image restarts its
 * container, a pod deleted with a grace period terminates, workload and PodDisruptionBudget statuses
 * follow, owned objects whose owner is gone are collected.
 */
export class Cluster {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingCreates = new Set<string>();
  private readonly lifecycle = new Set<string>();
  private scheduled = false;
  private closed = false;
  private nodeTurn = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    readonly options: ClusterOptions,
  ) {
    this.unsubscribe = store.subscribe((c) => {
      if (c.group === '' && c.plural === 'events') return;
      this.schedule();
    });
    for (const node of options.nodes) {
      store.create('', 'nodes', { metadata: { name: node, labels: { 'kubernetes.io/hostname': node } }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  /** Coalesces reconciles: one pass after the current burst of changes. */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.closed) this.reconcile();
    });
  }

  reconcile(): void {
    for (const d of this.store.list(APPS, 'deployments')) this.deployment(d);
    for (const rs of this.store.list(APPS, 'replicasets')) this.replicaSet(rs);
    for (const s of this.store.list(APPS, 'statefulsets')) this.statefulSet(s);
    for (const ds of this.store.list(APPS, 'daemonsets')) this.daemonSet(ds);
    for (const p of this.store.list('', 'pods')) this.kubelet(p);
    this.collectGarbage();
    for (const d of this.store.list(APPS, 'deployments')) this.deploymentStatus(d);
    for (const pdb of this.store.list('policy', 'poddisruptionbudgets')) this.writeStatus('policy', 'poddisruptionbudgets', pdb, this.budget(pdb));
  }

  // ---- workloads --------------------------------------------------------------------------------

  private deployment(d: KubeObject): void {
    const ns = d.metadata.namespace!;
    const hash = templateHash(d.spec?.template);
    const name = `${d.metadata.name}-${hash}`;
    const desired = d.spec?.replicas ?? 1;
    const owned = this.owned(APPS, 'replicasets', ns, d.metadata.uid);
    const tuning = pickAnnotations(d.metadata.annotations);
    let current = owned.find((rs) => rs.metadata.name === name);
    if (!current) {
      const labels = { ...(d.spec?.template?.metadata?.labels ?? {}), 'pod-template-hash': hash };
      current = this.store.create(APPS, 'replicasets', {
        metadata: { name, namespace: ns, labels, annotations: { 'deployment.kubernetes.io/revision': String(owned.length + 1), ...tuning }, ownerReferences: [ownerRef(d, 'apps/v1', 'Deployment')] },
        spec: { replicas: desired, selector: { matchLabels: { ...(d.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash } }, template: { ...structuredClone(d.spec?.template ?? {}), metadata: { ...(d.spec?.template?.metadata ?? {}), labels } } },
        status: { replicas: 0 },
      }, { generation: true });
      this.event(d, 'Deployment', 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${desired}`, 'deployment-controller');
    } else if (current.spec.replicas !== desired || JSON.stringify(pickAnnotations(current.metadata.annotations)) !== JSON.stringify(tuning)) {
      current.spec.replicas = desired;
      current.metadata.annotations = { ...Object.fromEntries(Object.entries(current.metadata.annotations ?? {}).filter(([k]) => !k.startsWith('kube-api.test/'))), ...tuning };
      current.metadata.generation = (current.metadata.generation ?? 1) + 1;
      this.store.update(APPS, 'replicasets', current);
    }
    for (const old of owned) {
      if (old.metadata.name !== name && old.spec.replicas !== 0) {
        old.spec.replicas = 0;
        old.metadata.generation = (old.metadata.generation ?? 1) + 1;
        this.store.update(APPS, 'replicasets', old);
      }
    }
  }

  private deploymentStatus(d: KubeObject): void {
    const owned = this.owned(APPS, 'replicasets', d.metadata.namespace!, d.metadata.uid);
    const hash = templateHash(d.spec?.template);
    const sum = (f: (rs: KubeObject) => number): number => owned.reduce((n, rs) => n + f(rs), 0);
    const replicas = sum((rs) => rs.status?.replicas ?? 0);
    const ready = sum((rs) => rs.status?.readyReplicas ?? 0);
    const updated = owned.find((rs) => rs.metadata.name === `${d.metadata.name}-${hash}`)?.status?.replicas ?? 0;
    const desired = d.spec?.replicas ?? 1;
    this.writeStatus(APPS, 'deployments', d, {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(desired - ready > 0 ? { unavailableReplicas: desired - ready } : {}),
      conditions: [{ type: 'Available', status: ready >= desired ? 'True' : 'False', reason: ready >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' }],
    });
  }

  private replicaSet(rs: KubeObject): void {
    const pods = this.owned('', 'pods', rs.metadata.namespace!, rs.metadata.uid);
    const active = pods.filter((p) => !p.metadata.deletionTimestamp);
    const desired = rs.spec?.replicas ?? 1;
    if (active.length < desired) this.createLater(rs, () => this.makePods(rs, 'ReplicaSet'));
    if (active.length > desired) {
      // As the ReplicaSet controller ranks them: pods not ready go first, then the newest.
      const rank = (p: KubeObject): number => (isReady(p) ? 0 : 1e9) + this.store.creationOrder(p.metadata.uid);
      const extra = [...active].sort((a, b) => rank(b) - rank(a)).slice(0, active.length - desired);
      for (const p of extra) this.deletePod(p, p.spec?.terminationGracePeriodSeconds ?? 30);
    }
    this.writeStatus(APPS, 'replicasets', rs, { replicas: active.length, fullyLabeledReplicas: active.length, readyReplicas: active.filter(isReady).length, availableReplicas: active.filter(isReady).length, observedGeneration: rs.metadata.generation });
  }

  private statefulSet(s: KubeObject): void {
    const ns = s.metadata.namespace!;
    const desired = s.spec?.replicas ?? 1;
    const pods = this.owned('', 'pods', ns, s.metadata.uid);
    const missing = [];
    for (let i = 0; i < desired; i++) if (!this.store.get('', 'pods', ns, `${s.metadata.name}-${i}`)) missing.push(i);
    if (missing.length) this.createLater(s, () => this.makeOrdinals(s));
    for (const p of pods) {
      const ordinal = Number(p.metadata.name.slice(s.metadata.name.length + 1));
      if (ordinal >= desired && !p.metadata.deletionTimestamp) this.deletePod(p, p.spec?.terminationGracePeriodSeconds ?? 30);
    }
    const active = pods.filter((p) => !p.metadata.deletionTimestamp);
    const ready = active.filter(isReady).length;
    this.writeStatus(APPS, 'statefulsets', s, { observedGeneration: s.metadata.generation, replicas: active.length, readyReplicas: ready, availableReplicas: ready, currentReplicas: active.length, updatedReplicas: active.length });
  }

  private daemonSet(ds: KubeObject): void {
    const pods = this.owned('', 'pods', ds.metadata.namespace!, ds.metadata.uid).filter((p) => !p.metadata.deletionTimestamp);
    const missing = this.options.nodes.filter((n) => !pods.some((p) => p.spec?.nodeName === n));
    if (missing.length) this.createLater(ds, () => this.makeDaemonPods(ds));
    const ready = pods.filter(isReady).length;
    this.writeStatus(APPS, 'daemonsets', ds, {
      observedGeneration: ds.metadata.generation, desiredNumberScheduled: this.options.nodes.length, currentNumberScheduled: pods.length, updatedNumberScheduled: pods.length,
      numberReady: ready, numberAvailable: ready, ...(this.options.nodes.length - ready > 0 ? { numberUnavailable: this.options.nodes.length - ready } : {}), numberMisscheduled: 0,
    });
  }

  /** Creates what a controller misses after its replace delay (once at a time per controller). */
  private createLater(owner: KubeObject, create: () => void): void {
    const a = owner.metadata.annotations ?? {};
    if (a[ANNOTATIONS.noReplace] === 'true' || this.pendingCreates.has(owner.metadata.uid)) return;
    this.pendingCreates.add(owner.metadata.uid);
    this.later(numberOr(a[ANNOTATIONS.replaceDelayMs], this.options.replaceDelayMs), () => {
      this.pendingCreates.delete(owner.metadata.uid);
      create();
    });
  }

  private makePods(rs: KubeObject, kind: string): void {
    const fresh = this.store.get(APPS, 'replicasets', rs.metadata.namespace, rs.metadata.name);
    if (!fresh) return;
    const active = this.owned('', 'pods', fresh.metadata.namespace!, fresh.metadata.uid).filter((p) => !p.metadata.deletionTimestamp);
    for (let i = active.length; i < (fresh.spec?.replicas ?? 1); i++) {
      const name = `${fresh.metadata.name}-${randomSuffix()}`;
      this.createPod(fresh, kind, name, this.nextNode(), `${fresh.metadata.name}-`);
    }
  }

  private makeOrdinals(s: KubeObject): void {
    const fresh = this.store.get(APPS, 'statefulsets', s.metadata.namespace, s.metadata.name);
    if (!fresh) return;
    for (let i = 0; i < (fresh.spec?.replicas ?? 1); i++) {
      const name = `${fresh.metadata.name}-${i}`;
      if (!this.store.get('', 'pods', fresh.metadata.namespace, name)) {
        this.createPod(fresh, 'StatefulSet', name, this.nextNode(), undefined, { 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) });
      }
    }
  }

  private makeDaemonPods(ds: KubeObject): void {
    const fresh = this.store.get(APPS, 'daemonsets', ds.metadata.namespace, ds.metadata.name);
    if (!fresh) return;
    const pods = this.owned('', 'pods', fresh.metadata.namespace!, fresh.metadata.uid).filter((p) => !p.metadata.deletionTimestamp);
    for (const node of this.options.nodes) {
      if (!pods.some((p) => p.spec?.nodeName === node)) this.createPod(fresh, 'DaemonSet', `${fresh.metadata.name}-${randomSuffix()}`, node, `${fresh.metadata.name}-`);
    }
  }

  private createPod(owner: KubeObject, kind: string, name: string, node: string, generateName?: string, extraLabels: Record<string, string> = {}): void {
    const t = owner.spec?.template ?? {};
    const pod = this.store.create('', 'pods', {
      metadata: {
        name, namespace: owner.metadata.namespace, ...(generateName ? { generateName } : {}),
        labels: { ...(t.metadata?.labels ?? {}), ...extraLabels },
        ...(t.metadata?.annotations ? { annotations: structuredClone(t.metadata.annotations) } : {}),
        ownerReferences: [ownerRef(owner, 'apps/v1', kind)],
      },
      spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', serviceAccountName: 'default', ...structuredClone(t.spec ?? {}), nodeName: node },
      status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() }] },
    });
    this.event(owner, kind, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, `${kind.toLowerCase()}-controller`);
  }

  private nextNode(): string {
    return this.options.nodes[this.nodeTurn++ % this.options.nodes.length]!;
  }

  // ---- pods -------------------------------------------------------------------------------------

  /** The kubelet's part: starts pending pods, restarts containers whose image changed, marks readiness. */
  private kubelet(p: KubeObject): void {
    if (p.metadata.deletionTimestamp) return;
    const uid = p.metadata.uid;
    if (p.metadata.annotations?.[ANNOTATIONS.stayPending] === 'true') return;
    if ((p.status?.phase ?? 'Pending') === 'Pending' && !this.lifecycle.has(uid)) {
      this.lifecycle.add(uid);
      if (!p.spec?.nodeName) this.patchPod(p, (x) => (x.spec.nodeName = this.nextNode()));
      this.later(this.options.podStartMs, () => this.start(p));
      return;
    }
    if (p.status?.phase !== 'Running') return;
    const statuses: any[] = p.status.containerStatuses ?? [];
    const changed = (p.spec?.containers ?? []).filter((c: any) => {
      const s = statuses.find((x) => x.name === c.name);
      return s && s.image !== c.image;
    });
    if (changed.length === 0) return;
    this.patchPod(p, (x) => {
      for (const c of changed) {
        const s = x.status.containerStatuses.find((y: any) => y.name === c.name);
        s.lastState = { terminated: { exitCode: 137, reason: 'Error', startedAt: s.state?.running?.startedAt ?? now(), finishedAt: now(), containerID: s.containerID } };
        s.image = c.image;
        s.imageID = imageId(c.image);
        s.containerID = containerId();
        s.restartCount = (s.restartCount ?? 0) + 1;
        s.ready = false;
        s.state = { running: { startedAt: now() } };
      }
      setReady(x, false);
    });
    this.event(p, 'Pod', 'Normal', 'Pulled', `Container image "${changed[0].image}" already present on machine`, 'kubelet');
    this.readyLater(p.metadata.namespace!, p.metadata.name, uid);
  }

  private start(p: KubeObject): void {
    const cur = this.store.get('', 'pods', p.metadata.namespace, p.metadata.name);
    if (!cur || cur.metadata.uid !== p.metadata.uid || cur.metadata.deletionTimestamp) return;
    this.patchPod(cur, (x) => {
      x.status ??= {};
      x.status.phase = 'Running';
      x.status.startTime = now();
      x.status.hostIP = `192.168.0.${1 + this.options.nodes.indexOf(x.spec.nodeName)}`;
      x.status.podIP = `10.244.${randomBytes(1)[0]! % 250}.${2 + (randomBytes(1)[0]! % 250)}`;
      x.status.podIPs = [{ ip: x.status.podIP }];
      x.status.containerStatuses = (x.spec.containers ?? []).map((c: any) => ({ name: c.name, image: c.image, imageID: imageId(c.image), containerID: containerId(), ready: false, started: true, restartCount: 0, state: { running: { startedAt: now() } } }));
      x.status.conditions = [
        { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: now() },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now() },
        { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: now(), reason: 'ContainersNotReady' },
        { type: 'ContainersReady', status: 'False', lastProbeTime: null, lastTransitionTime: now(), reason: 'ContainersNotReady' },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() },
      ];
    });
    this.event(cur, 'Pod', 'Normal', 'Started', 'Started container', 'kubelet');
    this.readyLater(cur.metadata.namespace!, cur.metadata.name, cur.metadata.uid);
  }

  private readyLater(ns: string, name: string, uid: string): void {
    const p = this.store.get('', 'pods', ns, name);
    if (!p) return;
    const owner = this.ownerOf(p);
    const a = { ...(owner?.metadata.annotations ?? {}), ...(p.metadata.annotations ?? {}) };
    this.later(numberOr(a[ANNOTATIONS.readyDelayMs], this.options.readyDelayMs), () => {
      const cur = this.store.get('', 'pods', ns, name);
      if (!cur || cur.metadata.uid !== uid || cur.metadata.deletionTimestamp || cur.status?.phase !== 'Running') return;
      const failing = (cur.spec?.containers ?? []).filter((c: any) => c.readinessProbe && /(^|\/)pause(:|$)/.test(c.image));
      if (a[ANNOTATIONS.neverReady] === 'true' || failing.length) {
        const why = failing.length ? `Readiness probe failed: container ${failing[0].name} (${failing[0].image}) does not answer` : 'Readiness probe failed: connection refused';
        this.event(cur, 'Pod', 'Warning', 'Unhealthy', why, 'kubelet');
        return;
      }
      if ((cur.status?.containerStatuses ?? []).some((s: any) => s.image !== (cur.spec.containers.find((c: any) => c.name === s.name)?.image ?? s.image))) return;
      this.patchPod(cur, (x) => {
        for (const s of x.status.containerStatuses ?? []) s.ready = true;
        setReady(x, true);
      });
    });
  }

  /** A graceful delete: the pod is marked terminating and leaves after min(grace, terminateMs). */
  deletePod(p: KubeObject, graceSeconds: number): KubeObject | undefined {
    if (graceSeconds <= 0) {
      return this.store.remove('', 'pods', p.metadata.namespace, p.metadata.name);
    }
    const cur = this.store.get('', 'pods', p.metadata.namespace, p.metadata.name);
    if (!cur) return undefined;
    if (!cur.metadata.deletionTimestamp) {
      cur.metadata.deletionTimestamp = now(Date.now() + graceSeconds * 1000);
      cur.metadata.deletionGracePeriodSeconds = graceSeconds;
      for (const s of cur.status?.containerStatuses ?? []) s.ready = false;
      setReady(cur, false);
      const updated = this.store.update('', 'pods', cur);
      this.event(cur, 'Pod', 'Normal', 'Killing', `Stopping container ${cur.spec?.containers?.[0]?.name ?? ''}`, 'kubelet');
      const uid = cur.metadata.uid;
      this.later(Math.min(graceSeconds * 1000, this.options.terminateMs), () => {
        const still = this.store.get('', 'pods', cur.metadata.namespace, cur.metadata.name);
        if (still && still.metadata.uid === uid) this.store.remove('', 'pods', cur.metadata.namespace, cur.metadata.name);
      });
      return updated;
    }
    return cur;
  }

  private patchPod(p: KubeObject, change: (x: any) => void): void {
    const cur = this.store.get('', 'pods', p.metadata.namespace, p.metadata.name);
    if (!cur || cur.metadata.uid !== p.metadata.uid) return;
    change(cur);
    this.store.update('', 'pods', cur);
  }

  // ---- budgets, garbage, events ------------------------------------------------------------------

  /** A PodDisruptionBudget's status from the pods it selects now, as the disruption controller computes it. */
  budget(pdb: KubeObject): Record<string, unknown> {
    const reqs = fromLabelSelector(pdb.spec?.selector);
    const pods = this.store.list('', 'pods', pdb.metadata.namespace).filter((p) => !p.metadata.deletionTimestamp && matchesLabels(reqs, p.metadata.labels));
    const expected = pods.length;
    const healthy = pods.filter(isReady).length;
    const amount = (v: unknown): number => (typeof v === 'string' && v.endsWith('%') ? Math.ceil((Number(v.slice(0, -1)) * expected) / 100) : Number(v));
    const desiredHealthy = pdb.spec?.minAvailable !== undefined ? amount(pdb.spec.minAvailable) : pdb.spec?.maxUnavailable !== undefined ? Math.max(0, expected - amount(pdb.spec.maxUnavailable)) : 0;
    const allowed = Math.max(0, healthy - desiredHealthy);
    return {
      observedGeneration: pdb.metadata.generation ?? 1, disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy, expectedPods: expected,
      conditions: [{ type: 'DisruptionAllowed', status: allowed > 0 ? 'True' : 'False', reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration: pdb.metadata.generation ?? 1, lastTransitionTime: now() }],
    };
  }

  /** Background deletion: objects whose controller owner no longer exists go. */
  private collectGarbage(): void {
    const uids = new Set<string>();
    for (const [g, plural] of [[APPS, 'deployments'], [APPS, 'replicasets'], [APPS, 'statefulsets'], [APPS, 'daemonsets']] as const) {
      for (const o of this.store.list(g, plural)) uids.add(o.metadata.uid);
    }
    for (const [g, plural] of [[APPS, 'replicasets'], ['', 'pods']] as const) {
      for (const o of this.store.list(g, plural)) {
        const ref = o.metadata.ownerReferences?.find((r) => r.controller);
        if (ref && ref.apiVersion === 'apps/v1' && !uids.has(ref.uid)) {
          if (plural === 'pods') this.deletePod(o, 0);
          else this.store.remove(g, plural, o.metadata.namespace, o.metadata.name);
        }
      }
    }
  }

  /** Records an event about an object, as a controller or the kubelet would (`kind` of the object: Pod, ReplicaSet...). */
  event(about: KubeObject, kind: string, type: 'Normal' | 'Warning', reason: string, message: string, component: string): KubeObject {
    const apiVersion = kind === 'Pod' ? 'v1' : 'apps/v1';
    return this.store.create('', 'events', {
      metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: about.metadata.namespace ?? 'default' },
      involvedObject: { kind, namespace: about.metadata.namespace, name: about.metadata.name, uid: about.metadata.uid, apiVersion, resourceVersion: about.metadata.resourceVersion },
      reason, message, type, count: 1, source: { component }, firstTimestamp: now(), lastTimestamp: now(), reportingComponent: component, reportingInstance: '',
    });
  }

  private writeStatus(group: string, plural: string, o: KubeObject, status: Record<string, unknown>): void {
    const cur = this.store.get(group, plural, o.metadata.namespace, o.metadata.name);
    if (!cur || cur.metadata.uid !== o.metadata.uid) return;
    const merged = { ...(cur.status ?? {}), ...status };
    if (sameStatus(cur.status, merged)) return;
    cur.status = merged;
    this.store.update(group, plural, cur);
  }

  owned(group: string, plural: string, ns: string, ownerUid: string): KubeObject[] {
    return this.store.list(group, plural, ns).filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === ownerUid && r.controller));
  }

  /** The controller object owning `o`, if it exists. */
  ownerOf(o: KubeObject): KubeObject | undefined {
    const ref = o.metadata.ownerReferences?.find((r) => r.controller);
    if (!ref) return undefined;
    const plural = { ReplicaSet: 'replicasets', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Deployment: 'deployments' }[ref.kind];
    if (!plural) return undefined;
    const owner = this.store.get(APPS, plural, o.metadata.namespace, ref.name);
    return owner && owner.metadata.uid === ref.uid ? owner : undefined;
  }
}

export function isReady(p: KubeObject): boolean {
  return p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

function setReady(x: any, ready: boolean): void {
  for (const c of x.status.conditions ?? []) {
    if ((c.type === 'Ready' || c.type === 'ContainersReady') && (c.status === 'True') !== ready) {
      c.status = ready ? 'True' : 'False';
      c.lastTransitionTime = now();
      if (ready) delete c.reason;
      else c.reason = 'ContainersNotReady';
    }
  }
}

function ownerRef(o: KubeObject, apiVersion: string, kind: string): Owner {
  return { apiVersion, kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true };
}


/** Ten characters from the template, like pod-template-hash: the same template, the same ReplicaSet. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += chars[digest[i]! % chars.length];
  return s;
}

function pickAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => k.startsWith('kube-api.test/')));
}

function numberOr(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) ? n : fallback;
}

function imageId(image: string): string {
  return `docker.io/${image.split(':')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

function sameStatus(a: unknown, b: unknown): boolean {
  const strip = (s: any): string => JSON.stringify(s, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
  return strip(a) === strip(b);
}
