import { FirebreakError } from '../../../errors.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { FaultType, JsonObject } from '../../../faults/types.js';
import { formatDuration } from '../../../util/duration.js';
import { readDuration, readString, rejectUnknown } from '../../core/attrs.js';
import type { KubeConnection } from '../client.js';
import { hasMark, markData, markOps, unmarkOps } from '../marks.js';
import { guardedPatch, kindOps, testUid, type KubeObject, type PatchOp } from '../objects.js';
import { isPodReady, podRef, readPod, type PodRef } from '../targets.js';
import { waitUntil } from '../wait.js';
import { CALL_SLACK_MS, EXPIRES_AFTER_ATTR, expiresAt, IGNORE_BUDGETS_ATTR, podLabel, readBoolean, readExpiresAfter } from './common.js';

export interface PodFailureAttrs {
  image: string;
  /** Container names to swap; null: every container. */
  containers: string[] | null;
  recoveryTimeoutMs: number;
  expiresAfterMs: number;
  ignoreDisruptionBudgets: boolean;
}

export interface PodFailureState extends PodRef {
  /** Container name -> the image it ran before (also kept on the pod in an annotation, for a sweep). */
  originals: { [container: string]: string };
  image: string;
  recoveryTimeoutMs: number;
  runId: string;
  instanceId: string;
  expiresAt: string;
}

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.9';
const POD = kindOps('Pod');

const ATTRS: readonly AttributeDoc[] = [
  { name: 'image', kind: 'string', default: PAUSE_IMAGE, summary: 'The image put in place of the originals: one that runs and serves nothing.' },
  { name: 'containers', kind: 'list', items: 'string', default: 'every container', summary: 'Only these containers of the pod (by name).' },
  { name: 'recoveryTimeout', kind: 'duration', default: '60s', summary: 'How long the revert waits for the pod to be ready again on its original images.' },
  EXPIRES_AFTER_ATTR,
  IGNORE_BUDGETS_ATTR,
];

/**
 * Makes one canary pod fail without deleting it: its containers' images are swapped for a pause image
 * (a container that runs and does nothing), so the kubelet restarts them into something that never
 * serves. Only the pod is changed, never its workload's template (that would roll every replica, not
 * just the canary): `spec.containers[*].image` is one of the few fields of a running pod that may
 * change. The original images are recorded in the state and on the pod in an annotation; revert puts
 * them back and waits for the pod to be ready again. A pod replaced in between has its template's
 * images already.
 */
export const podFailure: FaultType<PodFailureAttrs, PodFailureState, KubeConnection> = {
  type: 'kubernetes.pod-failure',
  driver: 'kubernetes',
  summary: "Swaps the pod's container images for a pause image (the pod stays, its containers stop serving); revert restores the recorded images.",
  scope: 'target',
  attributes: ATTRS,
  example: { containers: ['app'], recoveryTimeout: '2m' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const image = readString(attrs, 'image', issues) ?? PAUSE_IMAGE;
    let containers: string[] | null = null;
    if (attrs.containers !== undefined) {
      const c = attrs.containers;
      if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'string' && x !== '')) issues.add('containers', `must be a non-empty list of container names, got ${JSON.stringify(c)}`);
      else containers = c as string[];
    }
    const ignoreDisruptionBudgets = readBoolean(attrs, 'ignoreDisruptionBudgets', issues);
    const recoveryTimeoutMs = readDuration(attrs, 'recoveryTimeout', issues, 60_000);
    const expiresAfterMs = readExpiresAfter(attrs, issues);
    if (issues.count > before || recoveryTimeoutMs === undefined || expiresAfterMs === undefined || ignoreDisruptionBudgets === undefined) return undefined;
    return { image, containers, recoveryTimeoutMs, expiresAfterMs, ignoreDisruptionBudgets };
  },
  describe(a, target) {
    return `swap the images of ${a.containers ? `containers ${a.containers.join(', ')}` : 'every container'} of ${podLabel(target)} for ${a.image}`;
  },
  async prepare(ctx, a, target) {
    const ref = podRef(target, 'kubernetes.pod-failure');
    const pod = await readPod(ctx, ref);
    if (!pod) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `pod ${ref.namespace}/${ref.pod} (uid ${ref.uid}) no longer exists`);
    const originals: { [k: string]: string } = {};
    for (const c of pod.spec?.containers ?? []) if (!a.containers || a.containers.includes(c.name)) originals[c.name] = c.image ?? '';
    const missing = (a.containers ?? []).filter((n) => !(n in originals));
    if (missing.length) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `pod ${ref.namespace}/${ref.pod} has no container ${missing.join(', ')} (it has ${(pod.spec?.containers ?? []).map((c) => c.name).join(', ')})`);
    if (Object.values(originals).some((i) => i === a.image)) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `pod ${ref.namespace}/${ref.pod} already runs ${a.image}`);
    return { namespace: ref.namespace, pod: ref.pod, uid: ref.uid, originals, image: a.image, recoveryTimeoutMs: a.recoveryTimeoutMs, runId: ctx.runId, instanceId: ctx.instanceId, expiresAt: expiresAt(a.expiresAfterMs) };
  },
  async apply(ctx, s) {
    await guardedPatch(POD, ctx, s.namespace, s.pod, (p) => {
      if (p.metadata?.uid !== s.uid || hasMark(p, 'pod-failure', s.instanceId)) return undefined;
      const swap = imageOps(p, (name, image) => (name in s.originals && image === s.originals[name] ? s.image : undefined));
      return testUid(s.uid, [...swap, ...markOps(p, { fault: 'pod-failure', runId: s.runId, instanceId: s.instanceId, expiresAt: s.expiresAt, data: JSON.stringify({ image: s.image, originals: s.originals }) })]);
    });
  },
  async revert(ctx, s) {
    const pod = await guardedPatch(POD, ctx, s.namespace, s.pod, (p) => (p.metadata?.uid === s.uid ? restoreOps(p, s.originals, s.image, s.instanceId) : undefined));
    if (!pod || pod.metadata?.uid !== s.uid) return;
    const ready = await waitUntil(ctx, { target: { verb: 'watch', resource: 'pods', namespace: s.namespace }, watch: { path: `/api/v1/namespaces/${s.namespace}/pods`, fieldSelector: `metadata.name=${s.pod}` }, deadline: Date.now() + s.recoveryTimeoutMs }, async () => {
      const cur = await readPod(ctx, s);
      return !cur || isPodReady(cur) ? true : undefined;
    });
    if (!ready) ctx.logger.warn({ pod: s.pod, waitedMs: s.recoveryTimeoutMs }, 'the pod runs its original images again but is not ready yet');
  },
  async verify(ctx, s) {
    const pod = await readPod(ctx, s);
    if (!pod) return { ok: true, detail: `pod ${s.pod} was replaced (its replacement runs the template's images)` };
    const wrong = (pod.spec?.containers ?? []).filter((c) => c.name in s.originals && c.image !== s.originals[c.name]);
    if (wrong.length) return { ok: false, detail: `pod ${s.namespace}/${s.pod}: ${wrong.map((c) => `${c.name} runs ${c.image}, not ${s.originals[c.name]}`).join('; ')}` };
    return { ok: true, detail: `pod ${s.pod} runs ${Object.values(s.originals).join(', ')} again${isPodReady(pod) ? ' and is ready' : ' (not ready yet)'}` };
  },
  budgetMs(s) {
    return s.recoveryTimeoutMs + CALL_SLACK_MS;
  },
};

/** Replace operations for containers whose new image `pick` gives. */
function imageOps(p: KubeObject, pick: (name: string, image: string) => string | undefined): PatchOp[] {
  const ops: PatchOp[] = [];
  (p.spec?.containers ?? []).forEach((c: { name: string; image?: string }, i: number) => {
    const next = pick(c.name, c.image ?? '');
    if (next !== undefined && next !== c.image) ops.push({ op: 'replace', path: `/spec/containers/${i}/image`, value: next });
  });
  return ops;
}

/**
 * The revert's operations: containers still on the fault's image get their original back, and this
 * instance's mark comes off. A container someone changed to a third image is left as it is.
 */
export function restoreOps(p: KubeObject, originals: Record<string, string>, image: string, instanceId: string | undefined): PatchOp[] | undefined {
  const back = imageOps(p, (name, current) => (current === image && originals[name] !== undefined ? originals[name] : undefined));
  const uid = p.metadata?.uid ?? '';
  return testUid(uid, [...back, ...unmarkOps(p, 'pod-failure', instanceId)]);
}

/** The fault's image and the original images recorded on a pod by a pod-failure mark, for a sweep without a ledger. */
export function recordedImages(p: KubeObject): { image: string; originals: Record<string, string> } | undefined {
  const raw = p.metadata?.annotations?.[markData('pod-failure')];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as JsonObject;
    const originals = v.originals && typeof v.originals === 'object' && !Array.isArray(v.originals) ? v.originals : {};
    if (typeof v.image !== 'string') return undefined;
    return { image: v.image, originals: Object.fromEntries(Object.entries(originals).filter((e): e is [string, string] => typeof e[1] === 'string')) };
  } catch {
    return undefined;
  }
}
