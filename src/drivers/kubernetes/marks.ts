import { createHash } from 'node:crypto';
import type { KubeObject, PatchOp } from './objects.js';
import { removeMetaOps, setMetaOps } from './objects.js';

/**
 * What firebreak writes on what it creates or touches, so that a revert removes exactly what one
 * instance added and `firebreak recover --sweep` finds what a lost ledger left behind:
 * - every such object carries `firebreak.dev/run=<run id>`, and `app.kubernetes.io/managed-by=firebreak`
 *   unless another manager's value is already there (firebreak never overwrites Helm's or anyone's);
 * - a touched object carries `firebreak.dev/<fault>=<instance id>` and `firebreak.dev/<fault>-expires-at`
 *   per kind of fault, so two different faults can touch one object and each revert removes its own;
 * - an object firebreak creates carries `firebreak.dev/instance` and `firebreak.dev/expires-at`.
 */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const FIREBREAK = 'firebreak';
export const RUN_LABEL = 'firebreak.dev/run';
export const INSTANCE_LABEL = 'firebreak.dev/instance';
export const EXPIRES_AT = 'firebreak.dev/expires-at';
/** The annotation of a target claim (see claims.ts). */
export const CLAIM = 'firebreak.dev/claim';

/** The kinds of fault that mark objects they touch. */
export const FAULT_MARKS = ['partition', 'pod-failure', 'scale', 'mesh-delay', 'mesh-abort'] as const;
export type FaultMark = (typeof FAULT_MARKS)[number];

export const markLabel = (fault: FaultMark): string => `firebreak.dev/${fault}`;
export const markExpiry = (fault: FaultMark): string => `firebreak.dev/${fault}-expires-at`;
/** Fault-specific data kept on the object itself (original images, the scale before), so a sweep can revert without a ledger. */
export const markData = (fault: FaultMark): string => `firebreak.dev/${fault}-data`;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** An id as a label value (63 characters at most, label characters): itself when it fits, else a digest. */
export function labelValue(id: string): string {
  if (id.length <= 63 && LABEL_VALUE.test(id)) return id;
  return `h${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/** The run id an instance id starts with (`<run>-<fault>-<target>`), or the whole id. */
export function runOfInstance(instanceId: string): string {
  const m = /^(.*)-\d+-\d+$/.exec(instanceId);
  return m ? m[1]! : instanceId;
}

export interface Mark {
  fault: FaultMark;
  runId: string;
  instanceId: string;
  /** ISO time after which a sweep may revert it even if the run's liveness is unknown. */
  expiresAt: string;
  /** JSON the revert or a sweep needs (original images, scale before), kept on the object. */
  data?: string;
}

/** Operations that put one instance's mark on a touched object. */
export function markOps(obj: KubeObject, m: Mark): PatchOp[] {
  const labels: Record<string, string> = { [markLabel(m.fault)]: labelValue(m.instanceId), [RUN_LABEL]: labelValue(m.runId) };
  if (obj.metadata?.labels?.[MANAGED_BY] === undefined) labels[MANAGED_BY] = FIREBREAK;
  const annotations: Record<string, string> = { [markExpiry(m.fault)]: m.expiresAt };
  if (m.data !== undefined) annotations[markData(m.fault)] = m.data;
  return setMetaOps(obj, labels, annotations);
}

/** Whether the object carries this instance's mark. */
export function hasMark(obj: KubeObject, fault: FaultMark, instanceId: string): boolean {
  return obj.metadata?.labels?.[markLabel(fault)] === labelValue(instanceId);
}

/**
 * Operations that take one fault's mark off (only when it is this instance's, or any instance's when
 * `instanceId` is undefined, for a sweep), and the shared labels when no other fault's mark is left.
 */
export function unmarkOps(obj: KubeObject, fault: FaultMark, instanceId: string | undefined): PatchOp[] {
  const labels = obj.metadata?.labels ?? {};
  if (labels[markLabel(fault)] === undefined || (instanceId !== undefined && labels[markLabel(fault)] !== labelValue(instanceId))) return [];
  const others = FAULT_MARKS.some((f) => f !== fault && labels[markLabel(f)] !== undefined) || obj.metadata?.annotations?.[CLAIM] !== undefined;
  const shared = others ? [] : [RUN_LABEL, ...(labels[MANAGED_BY] === FIREBREAK ? [MANAGED_BY] : [])];
  return removeMetaOps(obj, [markLabel(fault), ...shared], [markExpiry(fault), markData(fault)]);
}

/** The labels and annotations of an object firebreak creates for an instance. */
export function ownedMeta(runId: string, instanceId: string, expiresAt: string, extraLabels: Record<string, string> = {}): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { [MANAGED_BY]: FIREBREAK, [RUN_LABEL]: labelValue(runId), [INSTANCE_LABEL]: labelValue(instanceId), ...extraLabels },
    annotations: { [EXPIRES_AT]: expiresAt },
  };
}

/** A name for what an instance creates: `fb-<instance>`, a DNS label. */
export function objectName(instanceId: string): string {
  const v = labelValue(instanceId).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `fb-${v}`.slice(0, 63).replace(/-+$/, '');
}
