import type { Stream } from './toxics/types.js';

/** A proxy as Toxiproxy's API and config files describe it, plus firebreak's `cohort` extension. */
export interface ProxyConfig {
  name: string;
  /** `host:port`; port 0 picks a free port. Defaults to `127.0.0.1:0`. */
  listen?: string;
  upstream: string;
  /** Defaults to true. */
  enabled?: boolean;
  /** HTTP cohort mode (firebreak extension): `{ mode: 'http', key, canary, control, salt }`. */
  cohort?: unknown;
}

/** A toxic as the API shows it (field order as Toxiproxy's JSON). */
export interface ToxicRecord {
  attributes: Record<string, unknown>;
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
}

export const STREAMS: readonly Stream[] = ['upstream', 'downstream'];

/** Which traffic cohorts a toxic acts on in cohort mode (the `cohort` attribute). */
export const TOXIC_COHORTS = ['canary', 'control', 'all'] as const;

/** Byte counters of one proxy, per direction (upstream: client to server). */
export interface ProxyStats {
  connectionsTotal: number;
  bytes: Record<Stream, { received: number; sent: number }>;
}

export function emptyStats(): ProxyStats {
  return { connectionsTotal: 0, bytes: { upstream: { received: 0, sent: 0 }, downstream: { received: 0, sent: 0 } } };
}
