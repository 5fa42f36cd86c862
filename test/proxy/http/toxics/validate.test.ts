import assert from 'node:assert/strict';
import { HTTP_TOXIC_TYPES, validateHttpToxic } from '../../../../src/proxy/http/handler.js';
import { planRequest } from '../../../../src/proxy/http/toxics/index.js';
import type { ToxicView } from '../../../../src/proxy/http/types.js';

describe('proxy/http toxic validation', () => {
  it('lists the HTTP-only toxic types', () => {
    assert.deepEqual([...HTTP_TOXIC_TYPES].sort(), ['http_abort', 'http_bandwidth', 'http_latency', 'http_reset']);
  });

  const ok: [string, Record<string, unknown>][] = [
    ['http_latency', { latency: 100, jitter: 10 }],
    ['http_latency', {}],
    ['http_latency', { latency: 5, cohort: 'all' }],
    ['http_abort', {}],
    ['http_abort', { status: 429, body: 'slow down', cohort: 'control' }],
    ['http_reset', { timeout: 0 }],
    ['http_bandwidth', { rate: 64 }],
    ['latency', { latency: 1, whatever: true }],
    ['timeout', { timeout: 0 }],
    ['slicer', { average_size: 1 }],
  ];
  for (const [type, attrs] of ok) {
    it(`accepts ${type} ${JSON.stringify(attrs)}`, () => assert.equal(validateHttpToxic(type, attrs), undefined));
  }

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['http_latency', { latency: -1 }, /latency.*>= 0/],
    ['http_latency', { latency: '100ms' }, /latency.*number/],
    ['http_latency', { latancy: 100 }, /unknown attribute.*latancy/],
    ['http_latency', { latency: 1, cohort: 'untouched' }, /cohort/],
    ['http_abort', { status: 99 }, /status/],
    ['http_abort', { status: 503.5 }, /integer/],
    ['http_abort', { status: 700 }, /status.*<= 599/],
    ['http_abort', { body: 5 }, /body/],
    ['http_reset', { timeout: -5 }, /timeout/],
    ['http_bandwidth', {}, /rate.*required/],
    ['latency', { latency: 1, cohort: 'everyone' }, /cohort/],
    ['http_teapot', {}, /unknown toxic type/],
  ];
  for (const [type, attrs, message] of bad) {
    it(`refuses ${type} ${JSON.stringify(attrs)}`, () => assert.match(validateHttpToxic(type, attrs) ?? '', message));
  }
});

describe('proxy/http request plan', () => {
  const t = (type: string, attributes: Record<string, unknown>, more: Partial<ToxicView> = {}): ToxicView => ({
    name: type,
    type,
    stream: 'downstream',
    toxicity: 1,
    attributes,
    ...more,
  });

  it('adds latencies per stream and keeps the slowest bandwidth', () => {
    const plan = planRequest(
      [
        t('latency', { latency: 100 }),
        t('http_latency', { latency: 50 }, { stream: 'upstream' }),
        t('http_latency', { latency: 20 }),
        t('bandwidth', { rate: 100 }),
        t('http_bandwidth', { rate: 10 }),
      ],
      'canary',
      () => 0.5,
    );
    assert.equal(plan.responseDelayMs, 120);
    assert.equal(plan.requestDelayMs, 50);
    assert.equal(plan.responseRate, 10);
    assert.equal(plan.applied.length, 5);
  });

  it('spreads jitter over latency ± jitter', () => {
    const low = planRequest([t('latency', { latency: 100, jitter: 30 })], 'canary', () => 0);
    const high = planRequest([t('latency', { latency: 100, jitter: 30 })], 'canary', () => 0.999999);
    assert.equal(low.responseDelayMs, 70);
    assert.ok(Math.abs(high.responseDelayMs - 130) < 0.01);
  });

  it('applies toxics to their cohort only, canary by default', () => {
    const toxics = [t('http_abort', {}), t('http_reset', { cohort: 'control' }), t('timeout', { cohort: 'all' })];
    assert.deepEqual(planRequest(toxics, 'canary').applied, ['http_abort', 'timeout']);
    assert.deepEqual(planRequest(toxics, 'control').applied, ['http_reset', 'timeout']);
    assert.deepEqual(planRequest(toxics, 'untouched').applied, ['timeout']);
  });

  it('rolls toxicity per request', () => {
    const toxics = [t('http_abort', {}, { toxicity: 0.3 })];
    assert.equal(planRequest(toxics, 'canary', () => 0.29).abort?.status, 503);
    assert.equal(planRequest(toxics, 'canary', () => 0.31).abort, undefined);
    assert.equal(planRequest([t('http_abort', {}, { toxicity: 0 })], 'canary', () => 0).abort, undefined);
  });

  it('keeps the first abort, reset and hold in list order', () => {
    const plan = planRequest(
      [t('http_abort', { status: 500 }, { name: 'a' }), t('http_abort', { status: 404 }, { name: 'b' }), t('http_reset', { timeout: 5 }), t('reset_peer', { timeout: 9 })],
      'canary',
    );
    assert.equal(plan.abort?.status, 500);
    assert.deepEqual(plan.reset, { stream: 'downstream', afterMs: 5 });
  });
});
