import { MAX_TIMER_MS } from '../util/duration.js';
import { apiErrors } from './api/errors.js';
import { checkName } from './proxy-input.js';
import { COHORT_TCP_TOXICS, type CohortModule } from './cohort.js';
import { toxicDefinition } from './toxics/registry.js';
import type { Stream, ToxicDefinition } from './toxics/types.js';
import { TOXIC_COHORTS, type ToxicRecord } from './types.js';

/** What toxic validation needs to know about the proxy it is for. */
export interface ToxicRules {
  cohortMode: boolean;
  /** The HTTP cohort handler module, when it could be loaded (its toxic types and validator). */
  http: CohortModule | undefined;
  exists(name: string): boolean;
}

/** Parses a `POST /proxies/{name}/toxics` body with Toxiproxy's defaults and checks, in its order. */
export function parseNewToxic(body: unknown, rules: ToxicRules): ToxicRecord {
  const obj = asObject(body);
  const stream = parseStream(obj.stream);
  const type = optionalString(obj, 'type') ?? '';
  const name = optionalString(obj, 'name') || `${type}_${stream}`;
  checkName(name, 'toxic');
  const kind = checkType(type, rules);
  if (rules.exists(name)) throw apiErrors.toxicAlreadyExists();
  const attributes =
    kind.tcp !== undefined ? tcpAttributes(kind.tcp, obj.attributes, defaultsOf(kind.tcp)) : httpAttributes(type, obj.attributes, {}, rules);
  return { attributes, name, type, stream, toxicity: parseToxicity(obj.toxicity, 1) };
}

/** Merges a toxic update (`attributes` and `toxicity`; other fields ignored) into the existing toxic. */
export function mergeToxicUpdate(existing: ToxicRecord, body: unknown, rules: ToxicRules): ToxicRecord {
  const obj = asObject(body);
  const tcp = toxicDefinition(existing.type);
  const attributes = tcp ? tcpAttributes(tcp, obj.attributes, existing.attributes) : httpAttributes(existing.type, obj.attributes, existing.attributes, rules);
  return { ...existing, attributes, toxicity: parseToxicity(obj.toxicity, existing.toxicity) };
}

/** Checks that every toxic a proxy holds is allowed in the mode it is switching to. */
export function checkToxicsForMode(toxics: readonly ToxicRecord[], rules: ToxicRules): void {
  for (const t of toxics) checkType(t.type, rules);
}

function checkType(type: string, rules: ToxicRules): { tcp?: ToxicDefinition<any> } {
  const tcp = toxicDefinition(type);
  if (tcp) {
    if (rules.cohortMode && !COHORT_TCP_TOXICS.includes(type)) {
      throw apiErrors.invalidToxicType(`${type} is not available on a proxy in cohort mode (use ${[...COHORT_TCP_TOXICS, ...(rules.http?.HTTP_TOXIC_TYPES ?? [])].join(', ')})`);
    }
    return { tcp };
  }
  if (rules.http?.HTTP_TOXIC_TYPES.includes(type)) {
    if (!rules.cohortMode) throw apiErrors.invalidToxicType(`${type} needs a proxy in cohort mode`);
    return {};
  }
  throw apiErrors.invalidToxicType();
}

function tcpAttributes(def: ToxicDefinition<any>, raw: unknown, base: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  if (raw === undefined || raw === null) return out;
  const given = attributesObject(raw);
  for (const key of Object.keys(def.attributes)) {
    const v = given[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw apiErrors.badRequestBody(`attribute ${key} of ${def.type} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    const max = def.attributes[key]!.max;
    if (max !== undefined && v > max) throw apiErrors.badRequestBody(`attribute ${key} of ${def.type} must be at most ${max}, got ${v}`);
    out[key] = v;
  }
  if (given.cohort !== undefined) out.cohort = parseToxicCohort(given.cohort);
  return out;
}

function httpAttributes(type: string, raw: unknown, base: Record<string, unknown>, rules: ToxicRules): Record<string, unknown> {
  const out = { ...base, ...(raw === undefined || raw === null ? {} : attributesObject(raw)) };
  if (out.cohort !== undefined) out.cohort = parseToxicCohort(out.cohort);
  for (const key of HTTP_TIMER_ATTRIBUTES) {
    const v = out[key];
    if (typeof v === 'number' && v > MAX_TIMER_MS) throw apiErrors.badRequestBody(`attribute ${key} of ${type} must be at most ${MAX_TIMER_MS} (ms), got ${v}`);
  }
  const problem = rules.http?.validateHttpToxic(type, out);
  if (problem) throw apiErrors.badRequestBody(problem);
  return out;
}

/** Attributes of the HTTP toxics that become timers (milliseconds). */
const HTTP_TIMER_ATTRIBUTES = ['latency', 'jitter', 'timeout', 'delay'];

function defaultsOf(def: ToxicDefinition<any>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(def.attributes).map(([k, spec]) => [k, spec.default]));
}

function parseToxicCohort(v: unknown): string {
  if (typeof v === 'string' && (TOXIC_COHORTS as readonly string[]).includes(v)) return v;
  throw apiErrors.badRequestBody(`attribute cohort must be one of ${TOXIC_COHORTS.join(', ')}, got ${JSON.stringify(v)}`);
}

function parseStream(v: unknown): Stream {
  if (v === undefined || v === null) return 'downstream';
  if (typeof v !== 'string') throw apiErrors.badRequestBody(`stream must be a string, got ${JSON.stringify(v)}`);
  const s = v.toLowerCase();
  if (s === 'upstream' || s === 'downstream') return s;
  throw apiErrors.invalidStream();
}

function parseToxicity(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw apiErrors.badRequestBody(`toxicity must be a number between 0 and 1, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalString(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw apiErrors.badRequestBody(`${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw apiErrors.badRequestBody('expected a JSON object');
  return body as Record<string, unknown>;
}

function attributesObject(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw apiErrors.badRequestBody('attributes must be an object');
  return raw as Record<string, unknown>;
}
