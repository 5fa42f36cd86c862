import { compileNamePattern, imageMatches } from '../../cohort/match.js';
import { FirebreakError } from '../../errors.js';
import { collectIssues, formatIssue, type IssueSink } from '../../experiment/issues.js';
import type { Target } from '../../faults/types.js';
import type { TargetSelector } from '../types.js';
import { DNS_LABEL } from './config.js';

/** Every key a Kubernetes pod selector may have. */
export const KUBERNETES_SELECTOR_KEYS = ['names', 'namePattern', 'labels', 'labelSelector', 'fieldSelector', 'namespaces', 'owner', 'phase', 'ready', 'image'] as const;

export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

/** Workload kinds a pod can belong to, with the spellings kubectl accepts. */
export const WORKLOAD_KINDS: Record<string, 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet'> = {
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet',
  replicaset: 'ReplicaSet', replicasets: 'ReplicaSet', rs: 'ReplicaSet',
};

export interface KubernetesSelector extends TargetSelector {
  /** Set-based label selector passed to the API server (`tier in (web,api),!canary`). */
  labelSelector?: string;
  /** Field selector: metadata.name, metadata.namespace, spec.nodeName, status.phase, spec.serviceAccountName. */
  fieldSelector?: string;
  /** `deployment/web`, `statefulset/db`, `daemonset/agent` (a Deployment's pods through its ReplicaSets). */
  owner?: string;
  /** Pod phase(s) to list; default Running. */
  phase?: string | string[];
  /** Only ready (true) or only not ready (false) pods; default both. */
  ready?: boolean;
}

/** The fields a selector's fieldSelector may use: the ones firebreak can also check on a listed pod. */
export const FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase', 'spec.serviceAccountName'] as const;

/**
 * Checks a pod selector before anything runs: unknown keys (a typo must never widen a selection) and
 * the form of every value. Reports into `issues` with the key as the path.
 */
export function parseKubernetesSelector(raw: Record<string, unknown>, issues: IssueSink): void {
  const known: readonly string[] = KUBERNETES_SELECTOR_KEYS;
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined && !known.includes(key)) issues.add(key, `unknown selector key "${key}"`, `one of ${known.join(', ')}`);
  }
  const names = raw.names;
  if (names !== undefined && (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== ''))) {
    issues.add('names', `must be a non-empty list of pod names, got ${JSON.stringify(names)}`, 'a list of strings');
  }
  for (const key of ['namePattern', 'image', 'labelSelector', 'fieldSelector', 'owner'] as const) {
    const v = raw[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) issues.add(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  if (typeof raw.namePattern === 'string' && raw.namePattern !== '') {
    try {
      compileNamePattern(raw.namePattern);
    } catch (err) {
      issues.add('namePattern', (err as Error).message.replace(/^namePattern /, ''), 'a glob like web-* or a /regex/');
    }
  }
  const labels = raw.labels;
  if (labels !== undefined) {
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) issues.add('labels', `must be a mapping of label names to values, got ${JSON.stringify(labels)}`);
    else for (const [k, v] of Object.entries(labels)) if (typeof v !== 'string') issues.add('labels', `the value of "${k}" must be a string, got ${JSON.stringify(v)}`, 'a quoted value like "1"');
  }
  if (typeof raw.labelSelector === 'string' && raw.labelSelector.trim()) {
    try {
      parseLabelRequirements(raw.labelSelector);
    } catch (err) {
      issues.add('labelSelector', (err as Error).message, 'like app=web,tier in (a,b),!canary');
    }
  }
  if (typeof raw.fieldSelector === 'string' && raw.fieldSelector.trim()) {
    try {
      parseFieldRequirements(raw.fieldSelector);
    } catch (err) {
      issues.add('fieldSelector', (err as Error).message, `fields among ${FIELDS.join(', ')}`);
    }
  }
  const ns = raw.namespaces;
  if (ns !== undefined) {
    if (!Array.isArray(ns) || ns.length === 0) issues.add('namespaces', `must be a non-empty list of namespace names, got ${JSON.stringify(ns)}`);
    else ns.forEach((n, i) => {
      if (typeof n !== 'string' || !DNS_LABEL.test(n) || n.length > 63) issues.add(`namespaces[${i}]`, `is not a namespace name: ${JSON.stringify(n)}`);
    });
  }
  if (typeof raw.owner === 'string' && raw.owner.trim() && !parseOwner(raw.owner)) {
    issues.add('owner', `is not a workload: ${JSON.stringify(raw.owner)}`, 'deployment/<name>, statefulset/<name>, daemonset/<name> or replicaset/<name>');
  }
  if (raw.phase !== undefined) {
    const list = Array.isArray(raw.phase) ? raw.phase : [raw.phase];
    if (list.length === 0 || !list.every((p) => typeof p === 'string' && (POD_PHASES as readonly string[]).includes(p))) {
      issues.add('phase', `must be a pod phase or a list of them, got ${JSON.stringify(raw.phase)}`, POD_PHASES.join(', '));
    }
  }
  if (raw.ready !== undefined && typeof raw.ready !== 'boolean') issues.add('ready', `must be true or false, got ${JSON.stringify(raw.ready)}`);
}

/** The plan-time check of the same rules, for selectors that reached the driver another way. */
export function checkKubernetesSelector(selector: KubernetesSelector): void {
  const issues = collectIssues();
  parseKubernetesSelector(selector, issues);
  if (issues.issues.length) {
    throw new FirebreakError('FIREBREAK_E_INVALID', `kubernetes selector: ${issues.issues.map((i) => formatIssue(i).replace(/^<input>: /, '')).join('; ')}`);
  }
}

/** `deployment/web` as kind and name; undefined when it is not one. */
export function parseOwner(text: string): { kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet'; name: string } | undefined {
  const m = /^([A-Za-z]+)(?:\.apps)?\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text.trim());
  const kind = m ? WORKLOAD_KINDS[m[1]!.toLowerCase()] : undefined;
  return kind ? { kind, name: m![2]! } : undefined;
}

type LabelRequirement = { key: string; op: 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** Parses a set-based label selector (the API server's grammar); throws on a malformed one. */
export function parseLabelRequirements(text: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const KEY = '([A-Za-z0-9][-A-Za-z0-9_./]*)';
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^!\\s*${KEY}$`).exec(part))) out.push({ key: m[1]!, op: '!exists', values: [] });
    else if ((m = new RegExp(`^${KEY}\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(part))) out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) });
    else if ((m = new RegExp(`^${KEY}\\s*(==|=|!=)\\s*([A-Za-z0-9._-]*)$`).exec(part))) out.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
    else if ((m = new RegExp(`^${KEY}$`).exec(part))) out.push({ key: m[1]!, op: 'exists', values: [] });
    else throw new Error(`cannot read the requirement "${part}"`);
  }
  return out;
}

/** Whether labels match an object's label selector (`matchLabels` and `matchExpressions`, as in a PodDisruptionBudget). */
export function matchesLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  const reqs: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator as 'In'];
    if (!op) return false;
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return labelsMatch(reqs, labels);
}

function labelsMatch(reqs: LabelRequirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    if (r.op === 'exists') return has;
    if (r.op === '!exists') return !has;
    if (r.op === 'in') return has && r.values.includes(labels[r.key]!);
    return !has || !r.values.includes(labels[r.key]!);
  });
}

type FieldRequirement = { field: (typeof FIELDS)[number]; negate: boolean; value: string };

export function parseFieldRequirements(text: string): FieldRequirement[] {
  return text.split(',').map((p) => p.trim()).filter(Boolean).map((part) => {
    const m = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new Error(`cannot read the requirement "${part}"`);
    if (!(FIELDS as readonly string[]).includes(m[1]!)) throw new Error(`field "${m[1]}" is not supported`);
    return { field: m[1] as FieldRequirement['field'], negate: m[2] === '!=', value: m[3]!.trim() };
  });
}

function metaString(t: Target, key: string): string {
  const v = t.meta?.[key];
  return typeof v === 'string' ? v : '';
}

/**
 * Whether a listed pod matches a selector, every key included (protect selectors go through here, so a
 * Kubernetes-only key protects what it says). `names` matches the pod name, `namespace/name`, or the uid.
 */
export function matchesPod(t: Target, s: KubernetesSelector): boolean {
  const ns = metaString(t, 'namespace');
  if (s.names !== undefined && !s.names.some((n) => n === t.name || n === t.id || n === `${ns}/${t.name}`)) return false;
  if (s.namePattern !== undefined && !compileNamePattern(s.namePattern).test(t.name)) return false;
  for (const [k, v] of Object.entries(s.labels ?? {})) if (t.labels[k] !== v) return false;
  if (s.labelSelector && !labelsMatch(parseLabelRequirements(s.labelSelector), t.labels)) return false;
  if (s.namespaces !== undefined && !s.namespaces.includes(ns)) return false;
  if (s.image !== undefined) {
    const images = Array.isArray(t.meta?.images) ? (t.meta!.images as string[]) : [metaString(t, 'image')];
    if (!images.some((i) => imageMatches(s.image!, i))) return false;
  }
  if (s.owner !== undefined) {
    const o = parseOwner(s.owner);
    const w = t.meta?.workload as { kind?: string; name?: string } | null | undefined;
    const direct = t.meta?.owner as { kind?: string; name?: string } | null | undefined;
    const hit = (x: { kind?: string; name?: string } | null | undefined): boolean => Boolean(o && x && x.kind === o.kind && x.name === o.name);
    if (!hit(w) && !hit(direct)) return false;
  }
  const phases = s.phase === undefined ? undefined : Array.isArray(s.phase) ? s.phase : [s.phase];
  if (phases && !phases.includes(metaString(t, 'phase'))) return false;
  if (s.ready !== undefined && (t.meta?.ready === true) !== s.ready) return false;
  if (s.fieldSelector) {
    const read: Record<FieldRequirement['field'], string> = {
      'metadata.name': t.name, 'metadata.namespace': ns, 'spec.nodeName': metaString(t, 'node'), 'status.phase': metaString(t, 'phase'), 'spec.serviceAccountName': metaString(t, 'serviceAccount'),
    };
    if (!parseFieldRequirements(s.fieldSelector).every((r) => (read[r.field] === r.value) !== r.negate)) return false;
  }
  return true;
}
