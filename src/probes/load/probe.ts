import type { SignalProbeType } from '../types.js';
import { LOAD_ATTRS, parseLoadAttrs, type LoadAttrs } from './attrs.js';
import { ThreadedLoadGenerator } from './threaded.js';
import { activeCohorts } from './request-plan.js';

/** The active golden-signal source: constant-arrival-rate HTTP load, measured per traffic cohort. */
export const loadProbe: SignalProbeType<LoadAttrs, unknown> = {
  kind: 'signals',
  type: 'load',
  driver: 'core',
  summary: 'Open-model HTTP load at a constant arrival rate; latency, traffic and errors per traffic cohort.',
  attributes: LOAD_ATTRS,
  example: { url: 'http://127.0.0.1:8080', rate: 200, timeout: '2s', requests: [{ method: 'GET', path: '/checkout', headers: { authorization: 'Bearer ${api_token}' } }] },
  parse: parseLoadAttrs,
  source(ctx, attrs) {
    return new ThreadedLoadGenerator(attrs, { logger: ctx.logger });
  },
  cohorts: (attrs) => activeCohorts(attrs),
  windowOptions: (attrs) => ({ maxLagMs: attrs.maxLagMs, latencyCeilingMs: attrs.timeoutMs }),
};
