import { cohortOf } from '../../../cohort/sticky.js';
import { FirebreakError } from '../../../errors.js';
import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { FaultType, Json, JsonObject } from '../../../faults/types.js';
import { parseFraction } from '../../../util/duration.js';
import { readNumber, readString, rejectUnknown } from '../../core/attrs.js';
import type { KubeCallContext, KubeConnection } from '../client.js';
import { labelValue, markLabel, markOps, unmarkOps, type FaultMark } from '../marks.js';
import { guardedPatch, kindOps, readOrUndefined, testUid, type KubeObject, type PatchOp } from '../objects.js';
import { EXPIRES_AFTER_ATTR, expiresAt, NAMESPACE_ATTR, namespaceFor, readExpiresAfter, readNamespace } from './common.js';

/** Which requests the inserted route catches, besides what the cloned route matched. */
export type RouteMatch =
  | { kind: 'all' }
  | { kind: 'values'; header: string; values: string[] }
  | { kind: 'cohort'; header: string; salt: string; canary: number; prefix: string; count: number };

export interface MeshAttrs {
  virtualService: string;
  namespace: string | null;
  /** The user's HTTP route to clone (by name); null: the first. */
  route: string | null;
  match: RouteMatch;
  /** Share of the matching requests the fault hits, 0 < p <= 100. */
  percentage: number;
  istioVersion: 'v1' | 'v1beta1';
  expiresAfterMs: number;
}

export interface MeshState extends JsonObject {
  namespace: string;
  virtualService: string;
  uid: string;
  /** The inserted route's name, `fb-<instance>`: revert removes exactly the route of that name. */
  routeName: string;
  route: JsonObject;
  istioVersion: string;
  runId: string;
  instanceId: string;
  expiresAt: string;
}

/** Header matches one route may get at most (each canary value is one match, times the cloned route's matches). */
export const MAX_MATCHES = 256;
const VS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The attributes `mesh.delay` and `mesh.abort` share. */
const MESH_ATTRS: readonly AttributeDoc[] = [
  { name: 'virtualService', kind: 'string', required: true, summary: 'The Istio VirtualService whose route is cloned; the clone goes first in its spec.http.' },
  NAMESPACE_ATTR,
  { name: 'route', kind: 'string', default: 'the first HTTP route', summary: "The name of the user's HTTP route to clone (its matches and destinations are kept)." },
  {
    name: 'match',
    kind: 'object',
    default: 'every request the route matches',
    summary: "Which requests the clone catches: the sticky header's canary values (cohort: the traffic cohort's salt and share over the key space), or given values; one of values and cohort.",
    exactlyOneOf: ['values', 'cohort'],
    fields: [
      { name: 'header', kind: 'string', required: true, summary: 'The sticky header, as cohort.traffic.key names it (x-user-id).' },
      { name: 'values', kind: 'list', items: 'string', summary: 'The header values to catch (at most 256).' },
      {
        name: 'cohort',
        kind: 'object',
        summary: 'The canary values computed as the proxy and the load generator assign cohorts.',
        fields: [
          { name: 'salt', kind: 'any', required: true, summary: "The traffic cohort's salt." },
          { name: 'canary', kind: 'fraction', required: true, summary: "The traffic cohort's canary share." },
          {
            name: 'keys',
            kind: 'object',
            summary: "The key space, as the load probe's users: prefix and count.",
            fields: [
              { name: 'prefix', kind: 'string', default: 'user-', summary: 'Key prefix.' },
              { name: 'count', kind: 'integer', min: 1, max: 100_000, default: 1000, summary: 'Number of keys.' },
            ],
          },
        ],
      },
    ],
  },
  { name: 'percentage', kind: 'fraction', default: '100%', summary: 'The share of the caught requests the fault hits.' },
  { name: 'istioVersion', kind: 'enum', values: ['v1', 'v1beta1'], default: 'v1beta1', summary: 'The networking.istio.io API version to address the VirtualService with.' },
  EXPIRES_AFTER_ATTR,
];

/** The example both mesh faults start from. */
export const MESH_EXAMPLE = { virtualService: 'checkout', namespace: 'shop', match: { header: 'x-user-id', cohort: { salt: 'checkout-1', canary: '5%' } } };

/**
 * The shared part of `mesh.delay` and `mesh.abort`, Istio faults for the traffic cohort at cluster
 * scale with no firebreak proxy in the path. Prepare clones one of the VirtualService's HTTP routes,
 * narrows it to the canary's requests (the sticky header's canary values, computed as the proxy and the
 * load generator compute cohorts; or given values; or none, for a share of all requests), adds the
 * fault and names it `fb-<instance>`. Apply inserts it first in `spec.http` with a JSON Patch guarded by
 * a `test` of the resourceVersion; revert removes exactly the route of that name, guarded the same
 * way. The user's routes are never rewritten.
 */
export function meshFault(type: 'mesh.delay' | 'mesh.abort', summary: string, spec: {
  mark: FaultMark;
  attributes: readonly AttributeDoc[];
  example: Record<string, unknown>;
  parse(attrs: Record<string, unknown>, issues: IssueSink): JsonObject | undefined;
  describe(fault: JsonObject): string;
  fault(fault: JsonObject, percentage: number): JsonObject;
}): FaultType<MeshAttrs & { fault: JsonObject }, MeshState, KubeConnection> {
  return {
    type,
    driver: 'kubernetes',
    summary,
    scope: 'none',
    attributes: [...MESH_ATTRS, ...spec.attributes],
    example: { ...MESH_EXAMPLE, ...spec.example },
    parse(attrs, issues) {
      const before = issues.count;
      rejectUnknown(attrs, [...MESH_ATTRS, ...spec.attributes], issues);
      const virtualService = readString(attrs, 'virtualService', issues, true);
      if (virtualService !== undefined && !VS_NAME.test(virtualService)) issues.add('virtualService', `is not an object name: ${JSON.stringify(virtualService)}`);
      const namespace = readNamespace(attrs, issues);
      const route = readString(attrs, 'route', issues) ?? null;
      const match = readMatch(attrs.match, issues.at('match'));
      const pct = attrs.percentage === undefined ? 100 : parsePercent(attrs.percentage);
      if (pct === undefined || pct <= 0 || pct > 100) issues.add('percentage', `must be a percentage above 0 and at most 100, got ${JSON.stringify(attrs.percentage)}`, 'like 50%');
      const istioVersion = readString(attrs, 'istioVersion', issues) ?? 'v1beta1';
      if (istioVersion !== 'v1' && istioVersion !== 'v1beta1') issues.add('istioVersion', `must be v1 or v1beta1, got ${JSON.stringify(istioVersion)}`);
      const expiresAfterMs = readExpiresAfter(attrs, issues);
      const fault = spec.parse(attrs, issues);
      if (issues.count > before || !virtualService || !match || pct === undefined || namespace === undefined || expiresAfterMs === undefined || !fault) return undefined;
      return { virtualService, namespace, route, match, percentage: pct, istioVersion: istioVersion as 'v1' | 'v1beta1', expiresAfterMs, fault };
    },
    describe(a) {
      const who = a.match.kind === 'all' ? 'requests' : a.match.kind === 'values' ? `requests with ${a.match.header} in ${a.match.values.length} value(s)` : `canary requests (${a.match.header}, ${Math.round(a.match.canary * 1000) / 10}% of ${a.match.count} keys)`;
      return `${spec.describe(a.fault)} ${a.percentage < 100 ? `${a.percentage}% of ` : ''}${who} of VirtualService ${a.namespace ? `${a.namespace}/` : ''}${a.virtualService}`;
    },
    async prepare(ctx, a) {
      const namespace = await namespaceFor(ctx, a.namespace);
      const vs = await readOrUndefined(kindOps('VirtualService', a.istioVersion), ctx, namespace, a.virtualService);
      if (!vs) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `VirtualService ${namespace}/${a.virtualService} does not exist (networking.istio.io/${a.istioVersion})`);
      const routes = (vs.spec?.http ?? []) as JsonObject[];
      const original = a.route === null ? routes.find((r) => !String(r.name ?? '').startsWith('fb-')) : routes.find((r) => r.name === a.route);
      if (!original) {
        throw new FirebreakError('FIREBREAK_E_KUBERNETES', a.route === null ? `VirtualService ${namespace}/${a.virtualService} has no HTTP route to clone` : `VirtualService ${namespace}/${a.virtualService} has no HTTP route named "${a.route}" (it has ${routes.map((r) => r.name ?? '(unnamed)').join(', ')})`);
      }
      const routeName = `fb-${labelValue(ctx.instanceId)}`;
      const route = cloneRoute(original, routeName, a.match, spec.fault(a.fault, a.percentage));
      return { namespace, virtualService: a.virtualService, uid: vs.metadata?.uid ?? '', routeName, route, istioVersion: a.istioVersion, runId: ctx.runId, instanceId: ctx.instanceId, expiresAt: expiresAt(a.expiresAfterMs) };
    },
    async apply(ctx, s) {
      await guardedPatch(kindOps('VirtualService', s.istioVersion), ctx, s.namespace, s.virtualService, (vs) => {
        if (vs.metadata?.uid !== s.uid || routeIndex(vs, s.routeName) >= 0) return undefined;
        const http: PatchOp[] = Array.isArray(vs.spec?.http) ? [{ op: 'add', path: '/spec/http/0', value: s.route }] : [{ op: 'add', path: '/spec/http', value: [s.route] }];
        return testUid(s.uid, [...http, ...markOps(vs, { fault: spec.mark, runId: s.runId, instanceId: s.instanceId, expiresAt: s.expiresAt })]);
      });
    },
    async revert(ctx, s) {
      await removeRoute(ctx, s, spec.mark);
    },
    async verify(ctx, s) {
      const vs = await readOrUndefined(kindOps('VirtualService', s.istioVersion), ctx, s.namespace, s.virtualService);
      if (!vs) return { ok: true, detail: `VirtualService ${s.namespace}/${s.virtualService} no longer exists` };
      return routeIndex(vs, s.routeName) >= 0 ? { ok: false, detail: `route ${s.routeName} is still in VirtualService ${s.namespace}/${s.virtualService}` } : { ok: true, detail: `route ${s.routeName} removed from VirtualService ${s.namespace}/${s.virtualService}` };
    },
  };
}

/**
 * Removes the route named `routeName` (tested by name at its index, and the resourceVersion), and the
 * VirtualService's mark when no other firebreak route is left in it. For the revert and the sweep.
 */
export async function removeRoute(ctx: KubeCallContext, s: Pick<MeshState, 'namespace' | 'virtualService' | 'routeName' | 'istioVersion'> & { instanceId?: string }, mark: FaultMark): Promise<void> {
  await guardedPatch(kindOps('VirtualService', s.istioVersion), ctx, s.namespace, s.virtualService, (vs) => {
    const i = routeIndex(vs, s.routeName);
    const others = ((vs.spec?.http ?? []) as JsonObject[]).filter((r) => typeof r.name === 'string' && r.name.startsWith('fb-') && r.name !== s.routeName);
    const ops: PatchOp[] = i >= 0 ? [{ op: 'test', path: `/spec/http/${i}/name`, value: s.routeName }, { op: 'remove', path: `/spec/http/${i}` }] : [];
    if (others.length === 0 && vs.metadata?.labels?.[markLabel(mark)] !== undefined) ops.push(...unmarkOps(vs, mark, undefined));
    return ops.length ? ops : undefined;
  });
}

export function routeIndex(vs: KubeObject, name: string): number {
  return ((vs.spec?.http ?? []) as JsonObject[]).findIndex((r) => r.name === name);
}

/** The user's route, renamed, narrowed to the match (ANDed with each of its own matches) and given the fault. */
export function cloneRoute(original: JsonObject, name: string, match: RouteMatch, fault: JsonObject): JsonObject {
  const copy = structuredClone(original);
  delete copy.fault;
  const own = Array.isArray(copy.match) && copy.match.length ? (copy.match as JsonObject[]) : [{}];
  const values = match.kind === 'values' ? match.values : match.kind === 'cohort' ? canaryValues(match) : [];
  if (match.kind !== 'all' && values.length === 0) throw new FirebreakError('FIREBREAK_E_KUBERNETES', `no ${match.header} value falls in the canary cohort: nothing to match`);
  if (own.length * Math.max(1, values.length) > MAX_MATCHES) {
    throw new FirebreakError('FIREBREAK_E_KUBERNETES', `the route would need ${own.length * values.length} header matches (${values.length} canary values x ${own.length} of the route's own); at most ${MAX_MATCHES}: use fewer keys or a percentage`);
  }
  const matches: JsonObject[] = match.kind === 'all' ? own : own.flatMap((m) => values.map((v) => ({ ...m, headers: { ...((m.headers as JsonObject | undefined) ?? {}), [match.header]: { exact: v } } })));
  return { ...copy, name, ...(match.kind === 'all' && !Array.isArray(original.match) ? {} : { match: matches as Json[] }), fault };
}

/** The sticky-key values that fall in the canary, computed as the proxy and the load generator assign cohorts. */
export function canaryValues(m: Extract<RouteMatch, { kind: 'cohort' }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.count; i++) {
    const key = `${m.prefix}${i}`;
    if (cohortOf(key, m.salt, { canary: m.canary, control: 0 }) === 'canary') out.push(key);
  }
  return out;
}

function parsePercent(v: unknown): number | undefined {
  const f = parseFraction(v);
  return f === undefined ? undefined : Math.round(f * 100 * 1000) / 1000;
}

function readMatch(raw: unknown, issues: IssueSink): RouteMatch | undefined {
  if (raw === undefined) return { kind: 'all' };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add('', 'must be a mapping', 'header with values, or header with cohort');
    return undefined;
  }
  const m = raw as Record<string, unknown>;
  const before = issues.count;
  rejectUnknown(m, ['header', 'values', 'cohort'], issues);
  const header = readString(m, 'header', issues, true)?.toLowerCase();
  if (header !== undefined && !/^[a-z0-9-]+$/.test(header)) issues.add('header', `is not a header name: ${JSON.stringify(header)}`);
  if ((m.values === undefined) === (m.cohort === undefined)) issues.add('', 'needs exactly one of values or cohort');
  if (m.values !== undefined) {
    const v = m.values;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) issues.add('values', `must be a non-empty list of header values, got ${JSON.stringify(v)}`);
    else if (v.length > MAX_MATCHES) issues.add('values', `has ${v.length} values; at most ${MAX_MATCHES}`);
    if (issues.count > before || !header) return undefined;
    return { kind: 'values', header, values: v as string[] };
  }
  const c = m.cohort;
  const s = issues.at('cohort');
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    if (m.cohort !== undefined) s.add('', 'must be a mapping', 'salt, canary, keys');
    return undefined;
  }
  const cc = c as Record<string, unknown>;
  rejectUnknown(cc, ['salt', 'canary', 'keys'], s);
  const salt = cc.salt === undefined ? undefined : String(cc.salt);
  if (!salt) s.add('salt', 'is required', 'the salt of cohort.traffic (the experiment title, slugged, when it has none)');
  const canary = parseFraction(cc.canary);
  if (canary === undefined || canary <= 0 || canary > 1) s.add('canary', `must be a share above 0, got ${JSON.stringify(cc.canary)}`, 'like 5%');
  const keys = (cc.keys ?? {}) as Record<string, unknown>;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) s.add('keys', 'must be a mapping', 'prefix and count, as the load probe\'s users');
  const prefix = typeof keys.prefix === 'string' ? keys.prefix : keys.prefix === undefined ? 'user-' : undefined;
  if (prefix === undefined) s.add('keys.prefix', 'must be a string');
  const count = readNumber(keys, 'count', s.at('keys'), { integer: true, min: 1, max: 100_000, fallback: 1000 });
  if (issues.count > before || !header || !salt || canary === undefined || prefix === undefined || count === undefined) return undefined;
  return { kind: 'cohort', header, salt, canary, prefix, count };
}

