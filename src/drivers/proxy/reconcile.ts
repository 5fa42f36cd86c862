import type { IssueSink } from '../../experiment/issues.js';
import { FirebreakError } from '../../errors.js';
import type { Experiment, TrafficCohort } from '../../experiment/model.js';
import type { JsonObject } from '../../faults/types.js';
import { parseStickyKey } from '../../cohort/sticky.js';
import { parseCohortSettings } from '../../proxy/http/handler.js';
import type { ReconcileInput } from '../types.js';
import type { ProxyDriverConfig, ProxyEntry } from './config.js';

const FIELDS = ['key', 'canary', 'control', 'salt'] as const;

/**
 * Makes the proxies an experiment declares agree with its traffic cohort, at validation, before
 * anything runs (paths from the experiment's root):
 * - a proxy that writes no `cohort` is put in cohort mode with cohort.traffic's key, shares and salt,
 *   and a partial one is completed from it; `cohort: false` keeps a proxy in plain TCP mode;
 * - a proxy whose cohort contradicts cohort.traffic (another salt, key or share) is refused: it would
 *   hurt other users than the ones the checks watch as the canary;
 * - a proxy in cohort mode in an experiment without cohort.traffic is refused: no check could tell
 *   the canary from the control;
 * - a fault meant for the canary on a plain TCP proxy is refused (it would reach every user), unless
 *   it says `cohort: all`; `proxy.abort` and the `proxy.signals` probe need a proxy in cohort mode.
 */
export function reconcileProxyCohorts(config: ProxyDriverConfig, experiment: ReconcileInput, issues: IssueSink): ProxyDriverConfig {
  const traffic = experiment.cohort.traffic;
  const proxies = config.proxies.map((entry, i) => completeEntry(entry, traffic, issues.at(`target.proxy.proxies[${i}]`)));
  const byName = new Map(proxies.map((p) => [p.name, p]));
  experiment.faults.forEach((f, i) => {
    if (f.driver !== 'proxy') return;
    const attrs = f.attrs as { proxy?: string; cohort?: string };
    const at = issues.at(`faults[${i}]`);
    const entry = attrs.proxy === undefined ? undefined : byName.get(attrs.proxy);
    if (!entry) {
      // Without a url the embedded proxy holds only the declared proxies; with one, the plan checks the server.
      if (!config.url && attrs.proxy !== undefined) at.add('proxy', `no proxy named "${attrs.proxy}" in target.proxy.proxies`, proxies.length ? `one of ${proxies.map((p) => p.name).join(', ')}` : 'declare it in target.proxy.proxies');
      return;
    }
    const cohortMode = Boolean(entry.cohort);
    if (!cohortMode && f.type === 'proxy.abort') at.add('type', `proxy.abort answers HTTP requests, but proxy "${entry.name}" is a plain TCP proxy (cohort: false)`);
    else if (!cohortMode && traffic && (attrs.cohort ?? 'canary') !== 'all') {
      at.add('cohort', `proxy "${entry.name}" is a plain TCP proxy, so ${f.type} would reach every user, not only the canary cohort the checks compare`, 'the proxy in cohort mode (leave out "cohort: false"), or "cohort: all" on the fault to hurt everyone on purpose');
    }
  });
  experiment.probes.forEach((p, i) => {
    if (p.type !== 'proxy.signals') return;
    const name = (p.attrs as { proxy: string }).proxy;
    const entry = byName.get(name);
    if (entry && !entry.cohort) issues.at(`hypothesis.probes[${i}]`).add('proxy', `proxy.signals counts requests per cohort, but proxy "${name}" is a plain TCP proxy`);
  });
  return { ...config, proxies };
}

function completeEntry(entry: ProxyEntry, traffic: TrafficCohort | undefined, issues: IssueSink): ProxyEntry {
  if (entry.cohort === false) return entry;
  if (!traffic) {
    if (entry.cohort) {
      issues.add('cohort', `proxy "${entry.name}" splits traffic into cohorts, but the experiment declares no cohort.traffic: no check could tell its canary from its control`, 'cohort.traffic with the same key, shares and salt (or cohort: false on the proxy)');
    }
    return entry;
  }
  const written = (entry.cohort ?? {}) as JsonObject;
  for (const f of FIELDS) {
    const mine = written[f];
    if (mine !== undefined && !same(f, mine, traffic[f])) {
      issues.add(`cohort.${f}`, `is ${JSON.stringify(mine)} but cohort.traffic.${f} is ${JSON.stringify(traffic[f])}: the proxy would hurt other users than the ones the checks watch as the canary`, `leave it out (cohort.traffic's is used) or make the two agree`);
    }
  }
  const merged = { mode: 'http', key: traffic.key, canary: traffic.canary, control: traffic.control, salt: traffic.salt, ...written };
  const parsed = parseCohortSettings(merged);
  if (!parsed.value) {
    issues.add('cohort', parsed.error ?? 'invalid cohort settings');
    return entry;
  }
  return { ...entry, cohort: { ...parsed.value } };
}

function same(field: (typeof FIELDS)[number], a: unknown, b: unknown): boolean {
  if (field === 'key') return JSON.stringify(parseStickyKey(String(a))) === JSON.stringify(parseStickyKey(String(b)));
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-9;
  return a === b;
}

/**
 * At plan time, with the proxy API answering: every proxy a fault or probe names exists, and a running
 * proxy's own cohort settings (which the experiment did not populate) agree with cohort.traffic; a
 * canary fault on a plain TCP proxy is refused, as at validation. Returns one line per proxy for the
 * plan: its mode, key, shares and salt.
 */
export function checkProxyPlan(experiment: Experiment, proxies: Map<string, Record<string, unknown>>): string[] {
  const traffic = experiment.cohort.traffic;
  const problems: string[] = [];
  const named = new Map<string, string[]>();
  for (const f of experiment.faults) if (f.driver === 'proxy') (named.get((f.attrs as { proxy: string }).proxy) ?? named.set((f.attrs as { proxy: string }).proxy, []).get((f.attrs as { proxy: string }).proxy)!).push(f.name);
  for (const p of experiment.hypothesis.probes) if (p.type === 'proxy.signals') (named.get((p.attrs as { proxy: string }).proxy) ?? named.set((p.attrs as { proxy: string }).proxy, []).get((p.attrs as { proxy: string }).proxy)!).push(p.name);
  const lines: string[] = [];
  for (const [name, users] of named) {
    const proxy = proxies.get(name);
    if (!proxy) {
      problems.push(`no proxy named "${name}" on the proxy server (used by ${users.join(', ')})`);
      continue;
    }
    const parsed = proxy.cohort ? parseCohortSettings(proxy.cohort).value : undefined;
    if (!parsed) {
      lines.push(`proxy ${name}: plain TCP mode (every connection, no cohorts)`);
      if (traffic) {
        for (const f of experiment.faults) {
          const a = f.attrs as { proxy?: string; cohort?: string };
          if (f.driver === 'proxy' && a.proxy === name && (a.cohort ?? 'canary') !== 'all') problems.push(`proxy "${name}" is a plain TCP proxy, so fault ${f.name} would reach every user, not only the canary (put the proxy in cohort mode, or say cohort: all on the fault)`);
        }
      }
      continue;
    }
    lines.push(`proxy ${name}: cohort mode, key ${parsed.key}, canary ${pct(parsed.canary)}, control ${pct(parsed.control)}, salt "${parsed.salt}"`);
    if (!traffic) {
      problems.push(`proxy "${name}" splits traffic into cohorts (salt "${parsed.salt}") but the experiment declares no cohort.traffic: declare it with the same key, shares and salt`);
      continue;
    }
    for (const f of FIELDS) {
      if (!same(f, parsed[f], traffic[f])) problems.push(`proxy "${name}" has ${f} ${JSON.stringify(parsed[f])} but cohort.traffic.${f} is ${JSON.stringify(traffic[f])}: it would hurt other users than the checks watch as the canary`);
    }
  }
  if (problems.length) throw new FirebreakError('FIREBREAK_E_PLAN', `the proxies do not match the experiment's cohorts: ${problems.join('; ')}`);
  return lines;
}

function pct(v: number): string {
  return `${Math.round(v * 10000) / 100}%`;
}
