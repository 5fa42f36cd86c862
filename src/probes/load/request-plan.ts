import type { OutgoingHttpHeaders } from 'node:http';
import { cohortOf } from '../../cohort/sticky.js';
import type { CohortName } from '../../signals/types.js';
import type { LoadAttrs, LoadRequestSpec } from './attrs.js';

/** One request ready to send: where, what, and which cohort the proxy will put it in. */
export interface PlannedRequest {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer;
  cohort: CohortName;
  /** Source address, when stickiness is by client address. */
  localAddress?: string;
  /** The replica to send to, when the probe spreads over `endpoints`. */
  endpoint?: { host: string; port: number };
}

interface PreparedSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  weight: number;
  current: number;
}

/**
 * Picks the next request: request kinds by smooth weighted round-robin (exact proportions), users by a
 * seeded pseudo-random draw (so a user's cohort is not correlated with the request kind). The cohort
 * of a request is computed with the same hashing the proxy uses, from the same key the proxy reads.
 */
export class RequestPlan {
  readonly cohorts: readonly CohortName[];
  private readonly specs: PreparedSpec[];
  private readonly totalWeight: number;
  private rng: () => number;
  private nextEndpoint = 0;

  constructor(private readonly attrs: LoadAttrs, seed = 0x5eed) {
    const basePath = attrs.url.pathname.replace(/\/+$/, '');
    this.specs = attrs.requests.map((r: LoadRequestSpec) => ({
      method: r.method,
      // `/` (the default) is the url itself: `url: http://svc/items` sends to /items, not /items/.
      path: (basePath && r.path === '/' ? basePath : basePath + r.path) + (attrs.url.search && !r.path.includes('?') ? attrs.url.search : ''),
      headers: { ...r.headers },
      ...(r.body !== undefined ? { body: Buffer.from(r.body) } : {}),
      weight: r.weight,
      current: 0,
    }));
    this.totalWeight = this.specs.reduce((s, r) => s + r.weight, 0);
    this.rng = mulberry32(seed);
    this.cohorts = activeCohorts(attrs);
  }

  next(): PlannedRequest {
    const spec = this.pickSpec();
    const user = Math.floor(this.rng() * this.attrs.users.count);
    const headers: OutgoingHttpHeaders = { ...spec.headers };
    let key = this.attrs.users.prefix + user;
    let localAddress: string | undefined;
    headers[this.attrs.users.header] = key;
    const c = this.attrs.cohort;
    if (c?.key.from === 'header' && c.key.name !== this.attrs.users.header) headers[c.key.name] = key;
    if (c?.key.from === 'cookie') {
      const pair = `${c.key.name}=${encodeURIComponent(key)}`;
      const existing = headerValue(headers, 'cookie');
      setHeader(headers, 'cookie', existing ? `${existing}; ${pair}` : pair);
    }
    if (c?.key.from === 'client-address') {
      localAddress = loopbackAddressOf(user);
      key = localAddress;
    }
    if (spec.body) headers['content-length'] = spec.body.length;
    return {
      method: spec.method,
      path: spec.path,
      headers,
      ...(spec.body ? { body: spec.body } : {}),
      cohort: c ? cohortOf(key, c.salt, c) : 'untouched',
      ...(localAddress ? { localAddress } : {}),
      ...(this.attrs.endpoints ? { endpoint: this.attrs.endpoints[this.nextEndpoint++ % this.attrs.endpoints.length]! } : {}),
    };
  }

  private pickSpec(): PreparedSpec {
    if (this.specs.length === 1) return this.specs[0]!;
    let best = this.specs[0]!;
    for (const s of this.specs) {
      s.current += s.weight;
      if (s.current > best.current) best = s;
    }
    best.current -= this.totalWeight;
    return best;
  }
}

/** The cohorts that can receive traffic under the configured shares. */
export function activeCohorts(attrs: Pick<LoadAttrs, 'cohort'>): CohortName[] {
  const c = attrs.cohort;
  if (!c) return ['untouched'];
  const out: CohortName[] = [];
  if (c.canary > 0) out.push('canary');
  if (c.control > 0) out.push('control');
  if (c.canary + c.control < 1) out.push('untouched');
  return out;
}

/** A distinct 127.x.y.z source address per user, for stickiness by client address. */
export function loopbackAddressOf(user: number): string {
  return `127.${1 + ((user >>> 16) % 254)}.${(user >>> 8) & 255}.${user & 255}`;
}

function headerValue(headers: OutgoingHttpHeaders, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name && v !== undefined) return String(v);
  return undefined;
}

function setHeader(headers: OutgoingHttpHeaders, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) delete headers[k];
  headers[name] = value;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
