import type { IssueSink } from '../../experiment/issues.js';
import type { JsonObject } from '../../faults/types.js';
import { parseHostPort } from '../../proxy/address.js';
import { parseCohortSettings } from '../../proxy/http/handler.js';

/** One proxy to populate, in Toxiproxy's config format plus the `cohort` extension. */
export interface ProxyEntry extends JsonObject {
  name: string;
  upstream: string;
  /** null: a free loopback port. */
  listen: string | null;
  enabled: boolean;
  /** HTTP cohort settings; null when not written (cohort.traffic fills it); false: plain TCP, said explicitly. */
  cohort: JsonObject | null | false;
}

/**
 * The driver's section of `target.proxy`. Without `url` the driver runs an embedded proxy server on
 * 127.0.0.1 for the run; with it, it drives that Toxiproxy-compatible server (Toxiproxy itself or
 * `firebreak proxy`). Either way `proxies` are populated at connect.
 */
export interface ProxyDriverConfig extends JsonObject {
  url: string | null;
  proxies: ProxyEntry[];
  // `tokenEnv` (only when given): the environment variable holding the API's bearer token (default
  // FIREBREAK_PROXY_TOKEN, sent when set). Only the name reaches the ledger; recover reads it again.
}

const KNOWN = ['url', 'proxies', 'tokenEnv'];
const ENTRY_KNOWN = ['name', 'upstream', 'listen', 'enabled', 'cohort'];

export function parseProxyDriverConfig(raw: Record<string, unknown> | undefined, issues: IssueSink): ProxyDriverConfig | undefined {
  const input = raw ?? {};
  const before = issues.count;
  for (const k of Object.keys(input)) {
    if (k === 'token') issues.add(k, 'a token is never written into an experiment (it would reach the ledger): name the environment variable that holds it with tokenEnv');
    else if (!KNOWN.includes(k)) issues.add(k, `unknown setting "${k}"`, `one of ${KNOWN.join(', ')}`);
  }
  let tokenEnv: string | undefined;
  if (input.tokenEnv !== undefined) {
    if (typeof input.tokenEnv === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(input.tokenEnv)) tokenEnv = input.tokenEnv;
    else issues.add('tokenEnv', `must be the name of an environment variable, got ${JSON.stringify(input.tokenEnv)}`, 'like FIREBREAK_PROXY_TOKEN');
  }
  let url: string | null = null;
  if (input.url !== undefined) {
    if (typeof input.url === 'string' && /^https?:\/\/[^/\s]+\/?$/.test(input.url.trim())) url = input.url.trim().replace(/\/+$/, '');
    else issues.add('url', `must be the proxy API's base URL, got ${JSON.stringify(input.url)}`, 'like http://127.0.0.1:8474');
  }
  const proxies: ProxyEntry[] = [];
  if (input.proxies !== undefined) {
    if (!Array.isArray(input.proxies)) issues.add('proxies', 'must be a list of proxies', 'a list of {name, upstream, listen?, enabled?, cohort?}');
    else input.proxies.forEach((p, i) => {
      const entry = parseEntry(p, issues.at(`proxies[${i}]`));
      if (entry) proxies.push(entry);
    });
    const names = proxies.map((p) => p.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) issues.add(`proxies[${i}].name`, `duplicate proxy name "${n}"`);
    });
  }
  return issues.count > before ? undefined : { url, proxies, ...(tokenEnv ? { tokenEnv } : {}) };
}

function parseEntry(raw: unknown, issues: IssueSink): ProxyEntry | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add('', 'must be a mapping', '{name, upstream, listen?, enabled?, cohort?}');
    return undefined;
  }
  const p = raw as Record<string, unknown>;
  const before = issues.count;
  for (const k of Object.keys(p)) if (!ENTRY_KNOWN.includes(k)) issues.add(k, `unknown field "${k}"`, `one of ${ENTRY_KNOWN.join(', ')}`);
  if (typeof p.name !== 'string' || p.name.trim() === '') issues.add('name', p.name === undefined ? 'is required' : `must be a non-empty string, got ${JSON.stringify(p.name)}`);
  const address = (key: 'upstream' | 'listen', required: boolean): void => {
    const v = p[key];
    if (v === undefined && !required) return;
    if (typeof v !== 'string' || !parseHostPort(v)) issues.add(key, v === undefined ? 'is required' : `must be host:port, got ${JSON.stringify(v)}`, 'like 127.0.0.1:6379');
  };
  address('upstream', true);
  address('listen', false);
  if (p.enabled !== undefined && typeof p.enabled !== 'boolean') issues.add('enabled', `must be true or false, got ${JSON.stringify(p.enabled)}`);
  let cohort: JsonObject | null | false = null;
  if (p.cohort === false) cohort = false;
  else if (p.cohort !== undefined) {
    const written = writtenCohort(p.cohort);
    if (typeof written === 'string') issues.add('cohort', written, 'a mapping of key, canary, control, salt (or false for a plain TCP proxy)');
    else cohort = written;
  }
  if (issues.count > before) return undefined;
  return { name: (p.name as string).trim(), upstream: p.upstream as string, listen: (p.listen as string | undefined) ?? null, enabled: (p.enabled as boolean | undefined) ?? true, cohort };
}

/**
 * The cohort fields an entry writes, each checked and normalized (shares as fractions). A partial
 * cohort (`cohort: {}`, or only a salt) is completed from cohort.traffic by `reconcileProxyCohorts`;
 * fields it does not write stay absent, so a contradiction with cohort.traffic is told apart from a
 * default. Returns an error message when a written field is wrong.
 */
function writtenCohort(raw: unknown): JsonObject | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'must be a mapping';
  const r = raw as Record<string, unknown>;
  // Stand-ins for what is not written, so only the written fields can be refused.
  const parsed = parseCohortSettings({ key: 'header:x-user-id', canary: 0, salt: 'unset', ...r, ...(r.control === undefined ? { control: 0 } : {}) });
  if (!parsed.value) return parsed.error ?? 'invalid cohort settings';
  const out: JsonObject = { mode: 'http' };
  for (const k of ['key', 'canary', 'control', 'salt'] as const) if (r[k] !== undefined) out[k] = parsed.value[k];
  return out;
}
