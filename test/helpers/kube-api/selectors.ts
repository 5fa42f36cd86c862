import { ApiError } from './status.js';

/** One requirement of a label selector, as the API server's labels.Parse reads it. */
type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

/** Parses `app=web,tier in (a,b),!canary,env!=prod` into requirements; a malformed one is 400 BadRequest. */
export function parseLabelSelector(text: string | null): Requirement[] {
  if (!text) return [];
  const out: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (!p) continue;
    let m = /^!\s*([A-Za-z0-9./_-]+)$/.exec(p);
    if (m) {
      out.push({ key: m[1]!, op: '!exists' });
      continue;
    }
    m = /^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
    if (m) {
      out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) });
      continue;
    }
    m = /^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(p);
    if (m) {
      out.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
      continue;
    }
    m = /^([A-Za-z0-9./_-]+)$/.exec(p);
    if (m) {
      out.push({ key: m[1]!, op: 'exists' });
      continue;
    }
    throw new ApiError(400, 'BadRequest', `unable to parse requirement: found '${p}', expected: in, notin, =, ==, !=, gt, lt`);
  }
  return out;
}

export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}

/** A label selector object (`matchLabels`, `matchExpressions`) as requirements. */
export function fromLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): Requirement[] {
  if (!sel) return [];
  const out: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') out.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') out.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') out.push({ key: e.key, op: '!exists' });
  }
  return out;
}

/** The selector as the `status.selector` string of a Scale. */
export function selectorString(sel: { matchLabels?: Record<string, string> } | undefined): string {
  return Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Field selectors each resource supports, as the real server registers them; others are 400. */
const FIELDS: Record<string, Record<string, (o: any) => unknown>> = {
  pods: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
    'status.phase': (o) => o.status?.phase ?? '',
    'status.podIP': (o) => o.status?.podIP ?? '',
  },
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    reason: (o) => o.reason ?? '',
    type: (o) => o.type ?? '',
    source: (o) => o.source?.component ?? '',
  },
};

export type FieldRequirement = { field: string; negate: boolean; value: string; read: (o: any) => unknown };

export function parseFieldSelector(text: string | null, plural: string): FieldRequirement[] {
  if (!text) return [];
  const out: FieldRequirement[] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid selector: '${p}'; can't understand '${p}'`);
    const field = m[1]!;
    const read = field === 'metadata.name' ? (o: any) => o.metadata?.name : field === 'metadata.namespace' ? (o: any) => o.metadata?.namespace ?? '' : FIELDS[plural]?.[field];
    if (!read) throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
    out.push({ field, negate: m[2] === '!=', value: m[3]!, read });
  }
  return out;
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (String(r.read(obj)) === r.value) !== r.negate);
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
