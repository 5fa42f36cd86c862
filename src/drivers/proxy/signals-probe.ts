import type { Logger } from '../../log.js';
import { FirebreakError, isFirebreakError } from '../../errors.js';
import type { IssueSink } from '../../experiment/issues.js';
import { silentLogger } from '../../log.js';
import type { SignalProbeType } from '../../probes/types.js';
import { HdrLatencyHistogram } from '../../signals/histogram.js';
import { COHORTS, type CohortInterval, type CohortName, type IntervalByCohort, type SignalSource } from '../../signals/types.js';
import { isAbortError, withTimeout } from '../../util/abort.js';
import { readDuration, rejectUnknown } from '../core/attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';

export interface ProxySignalsAttrs {
  /** Name of a proxy in HTTP cohort mode. */
  proxy: string;
  /** A request in flight longer than this has failed, as far as a client with this timeout is concerned (stop conditions count it). */
  timeoutMs: number;
}

/** As the load probe's default timeout: a request unanswered for longer has failed for its client. */
export const PROXY_SIGNALS_TIMEOUT_MS = 2000;

/** What this probe needs of the proxy driver's connection: the proxy API's base URL. */
export interface ProxyApiConnection {
  url: string;
}

const DEFAULT_TIMEOUT_MS = 5000;

const ATTRS: readonly AttributeDoc[] = [
  { name: 'proxy', kind: 'string', required: true, summary: 'The proxy in HTTP cohort mode whose counters are read.' },
  { name: 'timeout', kind: 'duration', default: '2s', summary: 'A request in flight longer than this has failed, as far as a client with this timeout is concerned.' },
];

export function parseProxySignalsAttrs(attrs: Record<string, unknown>, issues: IssueSink): ProxySignalsAttrs | undefined {
  const before = issues.count;
  rejectUnknown(attrs, ATTRS, issues);
  const proxy = attrs.proxy;
  if (proxy === undefined) issues.add('proxy', 'is required', 'the name of a proxy in http cohort mode');
  else if (typeof proxy !== 'string' || proxy.trim() === '') issues.add('proxy', `must be a non-empty string, got ${JSON.stringify(proxy)}`);
  const timeoutMs = readDuration(attrs, 'timeout', issues, PROXY_SIGNALS_TIMEOUT_MS);
  if (timeoutMs !== undefined && timeoutMs <= 0) issues.add('timeout', 'must be longer than 0');
  return issues.count > before ? undefined : { proxy: (proxy as string).trim(), timeoutMs: timeoutMs! };
}

/** Golden signals per traffic cohort, counted by a proxy in HTTP cohort mode on every request through it. */
export const proxySignalsProbe: SignalProbeType<ProxySignalsAttrs, ProxyApiConnection> = {
  kind: 'signals',
  type: 'proxy.signals',
  driver: 'proxy',
  summary: 'Golden signals per traffic cohort as a proxy in HTTP cohort mode counted them (latency, requests, errors, bytes).',
  attributes: ATTRS,
  example: { proxy: 'payments', timeout: '2s' },
  parse: parseProxySignalsAttrs,
  source(ctx, attrs) {
    return new ProxySignalsSource(ctx.connection.url, attrs.proxy, { logger: ctx.logger, timeoutMs: ctx.timeoutMs, overdueAfterMs: attrs.timeoutMs });
  },
  cohorts: () => COHORTS,
};

interface CohortSnapshot {
  /** In flight at the reading, and of those, in flight longer than the probe's timeout (absent from older servers). */
  inFlight?: { count: number; overdue: number };
  requests: number;
  errors: number;
  bytes: number;
  latencyOk: HdrLatencyHistogram;
  latencyFailed: HdrLatencyHistogram;
}

/** One reading of the proxy's cumulative counters. */
interface Snapshot {
  at: number;
  /** The proxy's counting start: a new value means the counters started again from zero. */
  since: string;
  cohorts: Record<CohortName, CohortSnapshot>;
}

/**
 * Polls `GET {url}/proxies/{proxy}/signals` and turns the cumulative counters into intervals: each
 * collection answers what happened since the previous one (the first, since `start`).
 */
export class ProxySignalsSource implements SignalSource {
  readonly name: string;
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly overdueAfterMs: number;
  private logger: Logger;
  private signal: AbortSignal | undefined;
  private previous: Snapshot | undefined;

  constructor(baseUrl: string, private readonly proxy: string, opts: { logger?: Logger; timeoutMs?: number; overdueAfterMs?: number } = {}) {
    this.overdueAfterMs = opts.overdueAfterMs ?? PROXY_SIGNALS_TIMEOUT_MS;
    this.name = `proxy.signals:${proxy}`;
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/proxies/${encodeURIComponent(proxy)}/signals`;
    this.timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_TIMEOUT_MS;
    this.logger = opts.logger ?? silentLogger();
  }

  async start(ctx: { signal: AbortSignal; logger: Logger }): Promise<void> {
    this.signal = ctx.signal;
    this.logger = ctx.logger;
    this.replacePrevious(await this.read());
  }

  async collect(): Promise<IntervalByCohort> {
    const current = await this.read();
    let base = this.previous;
    if (base && base.since !== current.since) {
      this.logger.warn({ probe: this.name, was: base.since, now: current.since }, 'proxy counters restarted; this interval counts from their restart');
      base = undefined;
    }
    const start = base?.at ?? Math.max(this.previous?.at ?? 0, Date.parse(current.since) || current.at);
    const out: IntervalByCohort = {};
    for (const cohort of COHORTS) out[cohort] = intervalOf(current.cohorts[cohort], base?.cohorts[cohort], start, current.at);
    this.replacePrevious(current);
    return out;
  }

  async stop(): Promise<void> {
    this.replacePrevious(undefined);
  }

  private replacePrevious(next: Snapshot | undefined): void {
    if (this.previous) for (const c of COHORTS) destroySnapshot(this.previous.cohorts[c]);
    this.previous = next;
  }

  private async read(): Promise<Snapshot> {
    let body: unknown;
    try {
      body = await withTimeout(
        `GET ${this.endpoint}`,
        this.timeoutMs,
        async (signal) => {
          const res = await fetch(this.endpoint, { signal, headers: { accept: 'application/json' } });
          const text = await res.text();
          if (!res.ok) {
            throw new FirebreakError('FIREBREAK_E_PROBE', `proxy API answered ${res.status} for proxy "${this.proxy}": ${text.trim().slice(0, 200)}`);
          }
          return JSON.parse(text) as unknown;
        },
        this.signal,
      );
    } catch (err) {
      if (isFirebreakError(err) || isAbortError(err)) throw err;
      throw new FirebreakError('FIREBREAK_E_PROBE', `could not read the signals of proxy "${this.proxy}" at ${this.endpoint}`, { cause: err });
    }
    return this.snapshotOf(body, Date.now());
  }

  private snapshotOf(body: unknown, at: number): Snapshot {
    const b = body as { mode?: unknown; since?: unknown; cohorts?: Record<string, unknown> } | null;
    if (!b || b.mode !== 'http' || typeof b.since !== 'string' || !b.cohorts || typeof b.cohorts !== 'object') {
      throw new FirebreakError('FIREBREAK_E_PROBE', `proxy "${this.proxy}" is not in http cohort mode (its signals carry no cohorts)`);
    }
    const cohorts = {} as Record<CohortName, CohortSnapshot>;
    try {
      for (const name of COHORTS) cohorts[name] = cohortSnapshotOf(b.cohorts[name], this.overdueAfterMs);
    } catch (err) {
      for (const name of COHORTS) if (cohorts[name]) destroySnapshot(cohorts[name]);
      throw new FirebreakError('FIREBREAK_E_PROBE', `proxy "${this.proxy}" answered malformed signals`, { cause: err });
    }
    return { at, since: b.since, cohorts };
  }
}

function cohortSnapshotOf(raw: unknown, overdueAfterMs: number): CohortSnapshot {
  const c = raw as Record<string, unknown> | undefined;
  const count = (k: string): number => {
    const v = c?.[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${k} is not a count`);
    return v;
  };
  const hdr = (k: string): HdrLatencyHistogram => {
    const text = (c?.[k] as { hdr?: unknown } | undefined)?.hdr;
    if (typeof text !== 'string') throw new TypeError(`${k}.hdr is missing`);
    return HdrLatencyHistogram.decode(text);
  };
  const requests = count('requests');
  const errors = count('errors');
  const bytes = count('bytesIn') + count('bytesOut');
  const latencyOk = hdr('latencyOk');
  try {
    return { requests, errors, bytes, latencyOk, latencyFailed: hdr('latencyFailed'), ...inFlightOf(c?.inFlight, overdueAfterMs) };
  } catch (err) {
    latencyOk.destroy();
    throw err;
  }
}

// The in-flight gauge, and how many of them are older than the timeout (from the ages' histogram).
function inFlightOf(raw: unknown, overdueAfterMs: number): { inFlight?: { count: number; overdue: number } } {
  const f = raw as { count?: unknown; ages?: { hdr?: unknown } } | undefined;
  if (!f || typeof f.count !== 'number' || typeof f.ages?.hdr !== 'string') return {};
  const ages = HdrLatencyHistogram.decode(f.ages.hdr);
  const overdue = ages.countAbove(overdueAfterMs);
  ages.destroy();
  return { inFlight: { count: f.count, overdue } };
}

// The difference of two cumulative readings; with no base, everything counted so far.
function intervalOf(current: CohortSnapshot, base: CohortSnapshot | undefined, start: number, end: number): CohortInterval {
  const latencyOk = current.latencyOk.clone();
  const latencyFailed = current.latencyFailed.clone();
  if (base) {
    latencyOk.subtract(base.latencyOk);
    latencyFailed.subtract(base.latencyFailed);
  }
  return {
    start,
    end,
    requests: Math.max(0, current.requests - (base?.requests ?? 0)),
    errors: Math.max(0, current.errors - (base?.errors ?? 0)),
    bytes: Math.max(0, current.bytes - (base?.bytes ?? 0)),
    latencyOk,
    latencyFailed,
    ...(current.inFlight ? { outstanding: current.inFlight.count, overdue: current.inFlight.overdue } : {}),
  };
}

function destroySnapshot(s: CohortSnapshot): void {
  s.latencyOk.destroy();
  s.latencyFailed.destroy();
}
