import { bindHost, parseHostPort } from './address.js';
import { apiErrors } from './api/errors.js';
import type { CohortModule } from './cohort.js';
import type { Proxy, ProxySettings } from './proxy.js';

/** Where a proxy listens when `listen` is not given: loopback only, a free port. */
export const DEFAULT_LISTEN = '127.0.0.1:0';

export interface ProxyInput {
  name: string;
  settings: ProxySettings;
}

/** Loads the cohort handler module only when a request uses cohort mode. */
export type CohortLoader = () => Promise<CohortModule>;

/** What the server allows beyond Toxiproxy's rules. */
export interface ListenRules {
  /** Let proxies listen on addresses other than loopback (all interfaces, a LAN address). Off by default. */
  allowNonLoopback: boolean;
}

export const LOOPBACK_ONLY: ListenRules = { allowNonLoopback: false };

/** The longest proxy or toxic name, in characters: longer ones cannot be put in a request line. */
export const MAX_NAME_LENGTH = 200;

/**
 * Parses a proxy from `POST /proxies` or one `/populate` entry. `where` is appended to missing-field
 * messages (`name at proxy 2`), as Toxiproxy's populate does.
 */
export async function parseProxyInput(body: unknown, loadCohort: CohortLoader, where = '', rules: ListenRules = LOOPBACK_ONLY): Promise<ProxyInput> {
  const obj = asObject(body);
  const name = stringField(obj, 'name');
  const upstream = stringField(obj, 'upstream');
  const listen = stringField(obj, 'listen');
  const enabled = booleanField(obj, 'enabled');
  if (!name) throw apiErrors.missingField(`name${where}`);
  if (!upstream) throw apiErrors.missingField(`upstream${where}`);
  checkName(name, 'proxy');
  checkUpstream(upstream);
  if (listen) checkListen(listen, rules);
  const cohort = obj.cohort === undefined || obj.cohort === null ? undefined : await parseCohort(obj.cohort, loadCohort);
  return { name, settings: { listen: listen || DEFAULT_LISTEN, upstream, enabled: enabled ?? true, cohort } };
}

/**
 * A name must be addressable in a URL path, where `.` and `..` are rewritten by clients, text that is
 * not well-formed UTF-16 cannot be encoded, and very long names do not fit in a request line.
 */
export function checkName(name: string, what: 'proxy' | 'toxic'): void {
  const bad =
    name === '.' || name === '..' ? `${JSON.stringify(name)} cannot be addressed in a URL`
    : LONE_SURROGATE.test(name) ? 'contains a lone surrogate (not well-formed Unicode)'
    : name.length > MAX_NAME_LENGTH ? `is longer than ${MAX_NAME_LENGTH} characters`
    : /[\u0000-\u001f\u007f]/.test(name) ? 'contains a control character'
    : undefined;
  if (bad) throw apiErrors.badRequestBody(`${what} name ${bad}`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A listen address must be host:port, and on loopback unless the server allows more. */
function checkListen(listen: string, rules: ListenRules): void {
  const hp = parseHostPort(listen);
  if (!hp) throw apiErrors.badRequestBody(`listen must be host:port, got ${JSON.stringify(listen)}`);
  if (!rules.allowNonLoopback && !isLoopback(hp.host)) {
    throw apiErrors.badRequestBody(`listen ${JSON.stringify(listen)} is not a loopback address; start the server with --allow-non-loopback to listen there`);
  }
}

/** 127.0.0.0/8, ::1, `localhost`: nothing else (an empty host means every interface). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return Boolean(v4 && Number(v4[1]) === 127 && v4.slice(2).every((x) => Number(x) <= 255));
}

/**
 * Merges `POST|PATCH /proxies/{name}`: given fields replace the current ones. `cohort: null` leaves
 * cohort mode; an object enters or changes it.
 */
export async function mergeProxyUpdate(proxy: Proxy, body: unknown, loadCohort: CohortLoader, rules: ListenRules = LOOPBACK_ONLY): Promise<ProxySettings> {
  const obj = asObject(body);
  const upstream = stringField(obj, 'upstream');
  if (upstream !== undefined) checkUpstream(upstream);
  const listen = stringField(obj, 'listen');
  if (listen) checkListen(listen, rules);
  const cohort = obj.cohort === undefined ? proxy.cohortSetup : obj.cohort === null ? undefined : await parseCohort(obj.cohort, loadCohort);
  return {
    listen: listen || proxy.listen,
    upstream: upstream ?? proxy.upstream,
    enabled: booleanField(obj, 'enabled') ?? proxy.enabled,
    cohort,
  };
}

/** True when `populate` can keep `existing` for this input: same addresses and cohort settings. */
export function sameProxy(existing: Proxy, input: ProxyInput): boolean {
  return (
    sameListen(existing.listen, input.settings.listen) &&
    existing.upstream === input.settings.upstream &&
    JSON.stringify(existing.cohort ?? null) === JSON.stringify(input.settings.cohort?.settings ?? null)
  );
}

// A requested port 0 matches whatever port the existing proxy was given.
function sameListen(current: string, wanted: string): boolean {
  const a = parseHostPort(current);
  const b = parseHostPort(wanted);
  if (!a || !b) return current === wanted;
  const host = (h: string): string => bindHost(h) ?? '::';
  return host(a.host) === host(b.host) && (a.port === b.port || b.port === 0);
}

async function parseCohort(raw: unknown, loadCohort: CohortLoader): Promise<ProxySettings['cohort']> {
  let module: CohortModule;
  try {
    module = await loadCohort();
  } catch (err) {
    throw apiErrors.internal(`cohort mode is unavailable: ${(err as Error).message}`);
  }
  const parsed = module.parseCohortSettings(raw);
  if (!parsed.value) throw apiErrors.badRequestBody(parsed.error ?? 'invalid cohort settings');
  return { settings: parsed.value, module };
}

function checkUpstream(upstream: string): void {
  const hp = parseHostPort(upstream);
  if (!hp || hp.port === 0 || hp.host === '') throw apiErrors.badRequestBody(`upstream must be host:port with a host, got ${JSON.stringify(upstream)}`);
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw apiErrors.badRequestBody('expected a JSON object');
  return body as Record<string, unknown>;
}

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw apiErrors.badRequestBody(`${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function booleanField(obj: Record<string, unknown>, key: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw apiErrors.badRequestBody(`${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
