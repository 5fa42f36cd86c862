import type { AttributeDoc } from '../../../experiment/attributes.js';
import type { ValueProbeType } from '../../../probes/types.js';
import { readDuration, rejectUnknown } from '../../core/attrs.js';
import { kubeCall, probeError, type KubeConnection } from '../client.js';
import { DNS_LABEL } from '../config.js';
import { probeNamespaces } from './common.js';

export interface EventsProbeAttrs {
  namespaces?: string[];
  /** Only these reasons (OOMKilled, BackOff, Evicted, Unhealthy, ...); default every Warning. */
  reasons?: string[];
  /** How far back the first look of a run reaches. */
  lookbackMs: number;
}

export interface EventsValue {
  /** Warning events (occurrences, counting repeats) since the probe last looked in this run. */
  warnings: number;
  byReason: Record<string, number>;
  since: string;
  recent: { reason: string; object: string; message: string; count: number; at: string }[];
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'namespaces', kind: 'list', items: 'string', default: 'target.kubernetes.namespaces, else the context\'s namespace', summary: 'The namespaces whose Warning events are counted.' },
  { name: 'reasons', kind: 'list', items: 'string', default: 'every Warning', summary: 'Only these reasons: OOMKilled, BackOff, Evicted, Unhealthy, FailedScheduling, ...' },
  { name: 'lookback', kind: 'duration', default: '60s', summary: "How far back a run's first look reaches; later looks count from the previous one." },
];

/** When each run's probe last looked, so each phase counts the events of its own window. */
const lastLook = new Map<string, number>();
const MAX_RUNS = 64;

/**
 * Warning events (OOMKilled, BackOff, Evicted, Unhealthy, FailedScheduling...) in the namespaces, since
 * the previous look of the same probe in the same run (the first look reaches back `lookback`), so a
 * tolerance on the during phase counts what happened while the fault was live.
 */
export const eventsProbe: ValueProbeType<EventsProbeAttrs, KubeConnection> = {
  kind: 'value',
  type: 'kubernetes.events',
  driver: 'kubernetes',
  summary: 'Warning events (OOMKilled, BackOff, Evicted, ...) in the namespaces since the previous look, by reason.',
  attributes: ATTRS,
  example: { namespaces: ['shop'], reasons: ['OOMKilled', 'BackOff', 'Evicted'], lookback: '2m' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const list = (key: string, ok: (v: string) => boolean): string[] | undefined => {
      const v = attrs[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && ok(x))) issues.add(key, `must be a non-empty list of ${key === 'reasons' ? 'event reasons' : 'namespace names'}, got ${JSON.stringify(v)}`);
      return v as string[];
    };
    const namespaces = list('namespaces', (n) => DNS_LABEL.test(n));
    const reasons = list('reasons', (r) => /^[A-Za-z0-9]+$/.test(r));
    const lookbackMs = readDuration(attrs, 'lookback', issues, 60_000);
    if (issues.count > before || lookbackMs === undefined) return undefined;
    return { ...(namespaces ? { namespaces } : {}), ...(reasons ? { reasons } : {}), lookbackMs };
  },
  async run(ctx, a): Promise<EventsValue> {
    const key = `${ctx.runId}:${JSON.stringify(a)}`;
    const now = Date.now();
    const since = lastLook.get(key) ?? now - a.lookbackMs;
    const conn = ctx.connection;
    const out: EventsValue = { warnings: 0, byReason: {}, since: new Date(since).toISOString(), recent: [] };
    try {
      for (const namespace of probeNamespaces(ctx, a.namespaces)) {
        const list = await kubeCall(ctx, { verb: 'list', resource: 'events', namespace }, (o) => conn.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }, o));
        for (const e of list.items) {
          const at = time(e.lastTimestamp) ?? time(e.eventTime) ?? time(e.metadata?.creationTimestamp) ?? 0;
          // Timestamps have whole seconds: an event in the second of the last look counts again rather than never.
          if (at < Math.floor(since / 1000) * 1000 || (a.reasons && !a.reasons.includes(e.reason ?? ''))) continue;
          const n = e.count ?? 1;
          out.warnings += n;
          out.byReason[e.reason ?? 'Unknown'] = (out.byReason[e.reason ?? 'Unknown'] ?? 0) + n;
          out.recent.push({ reason: e.reason ?? '', object: `${e.involvedObject?.kind ?? ''} ${namespace}/${e.involvedObject?.name ?? ''}`, message: (e.message ?? '').slice(0, 300), count: n, at: new Date(at).toISOString() });
        }
      }
    } catch (err) {
      throw probeError('kubernetes.events', err);
    }
    if (lastLook.size > MAX_RUNS) lastLook.delete(lastLook.keys().next().value!);
    lastLook.set(key, now);
    out.recent = out.recent.sort((x, y) => y.at.localeCompare(x.at)).slice(0, 20);
    return out;
  },
};

function time(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && v) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}
