import { COHORTS, type CohortName, type LatencySummary } from '../../signals/types.js';
import { HdrLatencyHistogram } from '../../signals/histogram.js';
import type { RequestObservation } from './types.js';

export interface EncodedLatency {
  summary: LatencySummary;
  /** Compressed base64 HDR histogram (microseconds), cumulative. */
  hdr: string;
}

export interface CohortSignalsJson {
  /** Requests that arrived (counted when they arrive, answered or not). */
  arrived: number;
  /** Requests answered or ended (counted when they end), and of those, failed. */
  requests: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  latencyOk: EncodedLatency;
  latencyFailed: EncodedLatency;
  /** Requests in flight right now, with how long each has been (a gauge: their outcome is not known yet). */
  inFlight: { count: number; oldestMs: number; ages: EncodedLatency };
}

/** Body of `GET /proxies/{name}/signals` in HTTP cohort mode: cumulative since `since`. */
export interface HttpSignalsJson {
  mode: 'http';
  proxy: string;
  since: string;
  cohorts: Record<CohortName, CohortSignalsJson>;
}

interface Counters {
  arrived: number;
  requests: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  latencyOk: HdrLatencyHistogram;
  latencyFailed: HdrLatencyHistogram;
}

/** Golden signals per cohort, cumulative since the handler started. */
export class CohortSignals {
  readonly since = new Date().toISOString();
  private readonly counters: Record<CohortName, Counters>;

  constructor() {
    const make = (): Counters => ({
      arrived: 0,
      requests: 0,
      errors: 0,
      bytesIn: 0,
      bytesOut: 0,
      latencyOk: new HdrLatencyHistogram(),
      latencyFailed: new HdrLatencyHistogram(),
    });
    this.counters = { canary: make(), control: make(), untouched: make() };
  }

  /** A request arrived (before any toxic acts on it). */
  arrive(cohort: CohortName): void {
    this.counters[cohort].arrived += 1;
  }

  record(o: RequestObservation): void {
    const c = this.counters[o.cohort];
    c.requests += 1;
    if (!o.ok) c.errors += 1;
    c.bytesIn += o.bytesIn;
    c.bytesOut += o.bytesOut;
    (o.ok ? c.latencyOk : c.latencyFailed).record(o.latencyMs);
  }

  /** The counters, plus the requests in flight now (their cohort and arrival time, performance.now()). */
  toJson(proxy: string, inFlight: Iterable<{ cohort: CohortName; arrivedAt: number }> = []): HttpSignalsJson {
    const now = performance.now();
    const ages = {} as Record<CohortName, HdrLatencyHistogram>;
    const oldest = {} as Record<CohortName, number>;
    for (const name of COHORTS) {
      ages[name] = new HdrLatencyHistogram();
      oldest[name] = 0;
    }
    for (const f of inFlight) {
      const age = Math.max(0, now - f.arrivedAt);
      ages[f.cohort].record(age);
      oldest[f.cohort] = Math.max(oldest[f.cohort], age);
    }
    const cohorts = {} as Record<CohortName, CohortSignalsJson>;
    for (const name of COHORTS) {
      const c = this.counters[name];
      cohorts[name] = {
        arrived: c.arrived,
        requests: c.requests,
        errors: c.errors,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        latencyOk: { summary: c.latencyOk.summary(), hdr: c.latencyOk.encode() },
        latencyFailed: { summary: c.latencyFailed.summary(), hdr: c.latencyFailed.encode() },
        inFlight: { count: ages[name].count, oldestMs: Math.round(oldest[name] * 1000) / 1000, ages: { summary: ages[name].summary(), hdr: ages[name].encode() } },
      };
      ages[name].destroy();
    }
    return { mode: 'http', proxy, since: this.since, cohorts };
  }
}
