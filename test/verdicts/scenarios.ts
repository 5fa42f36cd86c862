import type { Status } from '../../src/engine/journal.js';
import { SALT, type KnownSystem } from './system.js';

/**
 * The verdict-truth matrix: experiments whose right verdict is known because the system's resilience
 * is (test/verdicts/system.ts), written the way the README teaches. `harm` says whether the canary was
 * truly hurt: such a scenario must never read `held`.
 */
export interface Scenario {
  name: string;
  expect: Status;
  harm: boolean;
  experiment(sys: KnownSystem, opts?: ScenarioOptions): Record<string, unknown>;
}

export interface ScenarioOptions {
  /** Canary (and control) share; the default is 25% each. */
  share?: number;
  rate?: number;
  phases?: Record<string, string>;
}

type Svc = 'resilient' | 'fragile' | 'forgetful';

const PHASES = { before: '2s', during: '6s', after: '4s', tick: '500ms' };

/**
 * What the README recommends: errors within 1.5x the control plus an allowance, latency within an
 * absolute margin. Latency per interval at p95: a tick here holds about 50 canary requests, too few
 * for a steady per-tick p99 (the README's rule: p99 per interval wants 100 requests in each).
 */
const CHECKS = ['svc.errors.rate canary <= 1.5x control + 2%', 'svc.latency.p95 canary <= control + 150ms'];
const GUARD = 'svc.errors.rate > 50% min 20';
const SEQUENTIAL = 'sequential svc.errors alpha 0.01';

function experiment(
  name: string,
  svc: Svc,
  faults: Record<string, unknown>[],
  extra: { load?: Record<string, unknown>; abort?: string[]; tolerances?: unknown[]; probes?: Record<string, unknown>[] } = {},
): Scenario['experiment'] {
  return (sys, opts = {}) => {
    const share = opts.share ?? 0.25;
    return {
      title: `verdict truth: ${name}`,
      target: { proxy: { url: sys.proxyUrl } },
      cohort: { traffic: { canary: share, control: share, key: 'header:x-user-id', salt: SALT } },
      phases: opts.phases ?? PHASES,
      hypothesis: {
        probes: [{ name: 'svc', type: 'load', url: `${sys[svc].url}/`, rate: opts.rate ?? 400, users: { count: 4000 }, ...extra.load }, ...(extra.probes ?? [])],
        tolerances: extra.tolerances ?? CHECKS,
      },
      faults,
      abort: extra.abort ?? [GUARD],
    };
  };
}

const latency = (ms: number, more: Record<string, unknown> = {}) => ({ type: 'proxy.latency', proxy: 'dep', latency: `${ms}ms`, ...more });
const hold = { type: 'proxy.timeout', proxy: 'dep', timeout: 0 };
const partition = { type: 'proxy.partition', proxy: 'dep' };

export const SCENARIOS: Scenario[] = [
  { name: 'A/A on the fragile service (a fault that does nothing)', expect: 'held', harm: false, experiment: experiment('a/a fragile', 'fragile', [latency(0)], { abort: [GUARD, SEQUENTIAL] }) },
  { name: 'A/A on the resilient service', expect: 'held', harm: false, experiment: experiment('a/a resilient', 'resilient', [latency(0)], { abort: [GUARD, SEQUENTIAL] }) },
  { name: 'slow dependency, no fallback', expect: 'deviated', harm: true, experiment: experiment('latency fragile', 'fragile', [latency(300)]) },
  { name: 'slow dependency, timeout and fallback', expect: 'held', harm: false, experiment: experiment('latency resilient', 'resilient', [latency(300)]) },
  { name: 'failing dependency (30% of canary calls), no fallback', expect: 'deviated', harm: true, experiment: experiment('errors fragile', 'fragile', [{ type: 'proxy.abort', proxy: 'dep', status: 503, toxicity: 0.3 }]) },
  { name: 'failing dependency, fallback', expect: 'held', harm: false, experiment: experiment('errors resilient', 'resilient', [{ type: 'proxy.abort', proxy: 'dep', status: 503 }]) },
  { name: 'stalled dependency, no fallback', expect: 'aborted', harm: true, experiment: experiment('stall fragile', 'fragile', [hold], { abort: [GUARD, SEQUENTIAL] }) },
  { name: 'stalled dependency, fallback', expect: 'held', harm: false, experiment: experiment('stall resilient', 'resilient', [hold], { abort: [GUARD, SEQUENTIAL] }) },
  { name: 'canary partitioned from the dependency, no fallback', expect: 'aborted', harm: true, experiment: experiment('partition fragile', 'fragile', [partition], { abort: [GUARD, SEQUENTIAL] }) },
  { name: 'canary partitioned from the dependency, fallback', expect: 'held', harm: false, experiment: experiment('partition resilient', 'resilient', [partition], { abort: [GUARD, SEQUENTIAL] }) },
  {
    name: 'a service that does not pass the user key on: the fault reaches nobody',
    expect: 'inconclusive', harm: false,
    experiment: experiment('forgetful', 'forgetful', [latency(300)]),
  },
  {
    // The load probe's timeout is longer than the phase: no canary request completes within it. Each is
    // still judged in the phase that sent it: the window is drained (after the revert) and every one of
    // them failed.
    name: 'a stall longer than the phase, judged on errors only',
    expect: 'deviated', harm: true,
    experiment: experiment('long stall', 'fragile', [hold], { load: { timeout: '30s' }, tolerances: ['svc.errors.rate canary <= 1.5x control + 2%', 'svc.errors.rate < 5%'], abort: [] }),
  },
  {
    // Every user slowed to 1.5 s while the generator may keep only 20 requests in flight: most sends are never made.
    name: 'shed load: the generator could not send what it promised',
    expect: 'inconclusive', harm: true,
    experiment: experiment('shed load', 'fragile', [latency(1500, { cohort: 'all' })], { load: { maxInFlight: 20 }, tolerances: ['svc.errors.rate < 5%'], abort: [] }),
  },
  {
    name: 'a probe that cannot measure (its Prometheus is unreachable)',
    expect: 'failed', harm: false,
    experiment: experiment('unmeasured', 'fragile', [latency(0)], {
      probes: [{ name: 'prom', type: 'prometheus.signals', url: 'http://127.0.0.1:1', queries: { canary: { latencyP99: 'x' }, control: { latencyP99: 'x' } } }],
      tolerances: [...CHECKS, 'prom.latency.p99 canary <= 1.2x control'],
      abort: [],
    }),
  },
];
