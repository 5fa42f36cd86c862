import type { AttributeDoc } from '../../experiment/attributes.js';
import type { IssueSink } from '../../experiment/issues.js';
import { parseFraction } from '../../util/duration.js';
import { readString } from '../core/attrs.js';

export type Stream = 'upstream' | 'downstream';
export type ToxicCohort = 'canary' | 'control' | 'all';

/** Attributes every toxic fault shares: which proxy, which direction, how many connections, which cohort. */
export interface CommonToxicAttrs {
  proxy: string;
  stream: Stream;
  toxicity: number;
  cohort?: ToxicCohort;
}

/** The attributes every toxic fault shares. */
export const COMMON_TOXIC_ATTRS: readonly AttributeDoc[] = [
  { name: 'proxy', kind: 'string', required: true, summary: 'The proxy to act on, by name (target.proxy.proxies[].name, or one made with the proxy API).' },
  { name: 'stream', kind: 'enum', values: ['upstream', 'downstream'], default: 'downstream', summary: 'The direction: upstream is client to server, downstream is server to client.' },
  { name: 'toxicity', kind: 'fraction', default: 1, summary: 'The share of connections (TCP) or requests (cohort mode) it acts on.' },
  { name: 'cohort', kind: 'enum', values: ['canary', 'control', 'all'], default: 'canary', summary: 'On a proxy in HTTP cohort mode, the traffic cohort it hurts; all for every request.' },
];

export function readCommon(attrs: Record<string, unknown>, issues: IssueSink, opts: { stream?: boolean } = {}): CommonToxicAttrs | undefined {
  const before = issues.count;
  const proxy = readString(attrs, 'proxy', issues, true);
  let stream: Stream = 'downstream';
  if (opts.stream !== false && attrs.stream !== undefined) {
    if (attrs.stream === 'upstream' || attrs.stream === 'downstream') stream = attrs.stream;
    else issues.add('stream', `must be upstream or downstream, got ${JSON.stringify(attrs.stream)}`, 'upstream (client to server) or downstream (server to client)');
  }
  let toxicity = 1;
  if (attrs.toxicity !== undefined) {
    const f = parseFraction(attrs.toxicity);
    if (f === undefined) issues.add('toxicity', `must be a fraction 0..1 or a percentage, got ${JSON.stringify(attrs.toxicity)}`, 'like 0.5 or 50%');
    else toxicity = f;
  }
  let cohort: ToxicCohort | undefined;
  if (attrs.cohort !== undefined) {
    if (attrs.cohort === 'canary' || attrs.cohort === 'control' || attrs.cohort === 'all') cohort = attrs.cohort;
    else issues.add('cohort', `must be canary, control or all, got ${JSON.stringify(attrs.cohort)}`, 'canary (default), control or all');
  }
  if (issues.count > before || proxy === undefined) return undefined;
  return { proxy, stream, toxicity, ...(cohort ? { cohort } : {}) };
}

/** ` (downstream, 50% of connections, control cohort)` for descriptions. */
export function describeCommon(a: CommonToxicAttrs, showStream = true): string {
  const parts = [
    ...(showStream ? [a.stream] : []),
    ...(a.toxicity < 1 ? [`${Math.round(a.toxicity * 1000) / 10}% of connections`] : []),
    ...(a.cohort ? [`${a.cohort} cohort`] : []),
  ];
  return `on ${a.proxy}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
