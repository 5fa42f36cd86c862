import { COHORTS, type CohortName, type LatencySummary } from '../../signals/types.js';
import { HdrLatencyHistogram } from '../../signals/histogram.js';
import type { RequestObservation } from './types.js';

export interface EncodedLatency {
  summary: LatencySummary;
  /** Compressed base64 HDR histogram (microseconds), cumulative. */
  hdr: string;
}

export interface CohortSignalsJson {
  requests: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  latencyOk: EncodedLatency;
  latencyFailed: EncodedLatency;
}

/** Body of `GET /proxies/{name}/signals` in HTTP cohort mode: cumulative since `since`. */
export interface HttpSignalsJson {
  mode: 'http';
  proxy: string;
  since: string;
  cohorts: Record<CohortName, CohortSignalsJson>;
}

interface Counters {
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
      requests: 0,
      errors: 0,
      bytesIn: 0,
      bytesOut: 0,
      latencyOk: new HdrLatencyHistogram(),
      latencyFailed: new HdrLatencyHistogram(),
    });
    this.counters = { canary: make(), control: make(), untouched: make() };
  }

  record(o: RequestObservation): void {
    const c = this.counters[o.cohort];
    c.requests += 1;
    if (!o.ok) c.errors += 1;
    c.bytesIn += o.bytesIn;
    c.bytesOut += o.bytesOut;
    (o.ok ? c.latencyOk : c.latencyFailed).record(o.latencyMs);
  }

  toJson(proxy: string): HttpSignalsJson {
    const cohorts = {} as Record<CohortName, CohortSignalsJson>;
    for (const name of COHORTS) {
      const c = this.counters[name];
      cohorts[name] = {
        requests: c.requests,
        errors: c.errors,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        latencyOk: { summary: c.latencyOk.summary(), hdr: c.latencyOk.encode() },
        latencyFailed: { summary: c.latencyFailed.summary(), hdr: c.latencyFailed.encode() },
      };
    }
    return { mode: 'http', proxy, since: this.since, cohorts };
  }
}
