import type { Socket } from 'node:net';
import type { CohortName } from '../../signals/types.js';

/** How a proxy in HTTP cohort mode splits requests: sticky key, shares and salt (docs/cohorts.md). */
export interface CohortSettings {
  mode: 'http';
  /** `header:<name>`, `cookie:<name>` or `client-address` (see parseStickyKey). */
  key: string;
  /** Fraction 0..1 of keys in the canary cohort. */
  canary: number;
  /** Fraction 0..1 of keys in the control cohort; canary + control <= 1. */
  control: number;
  salt: string;
}

/** A toxic as the proxy server holds it; attributes are the Toxiproxy attributes plus `cohort`. */
export interface ToxicView {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** One finished request, as counted in the signals. */
export interface RequestObservation {
  cohort: CohortName;
  latencyMs: number;
  ok: boolean;
  bytesIn: number;
  bytesOut: number;
}

/** The HTTP side of a proxy in cohort mode; the proxy server hands it accepted client sockets. */
export interface HttpCohortHandler {
  /** Takes over an accepted client socket. */
  handle(socket: Socket): void;
  /** The full current toxic list, on every change. */
  updateToxics(toxics: ToxicView[]): void;
  updateCohort(settings: CohortSettings): void;
  /** `host:port` */
  updateUpstream(upstream: string): void;
  /** JSON body for `GET /proxies/{name}/signals`. */
  signalsJson(): unknown;
  /** Closes every client and upstream socket. */
  closeAll(): void;
}

/** Which cohorts a toxic acts on in HTTP mode (the `cohort` attribute). */
export type ToxicCohort = 'canary' | 'control' | 'all';
