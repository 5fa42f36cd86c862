import { strict as assert } from 'node:assert';
import { collectIssues } from '../../../src/experiment/issues.js';
import {
  proxyAbort,
  proxyBandwidth,
  proxyDriver,
  proxyLatency,
  proxyLimitData,
  proxyPartition,
  proxyReset,
  proxySlicer,
  proxySlowClose,
  proxyTimeout,
} from '../../../src/drivers/proxy/index.js';
import { Registry } from '../../../src/drivers/registry.js';
import { issuesOf, parsed } from './helpers.js';

describe('proxy driver: config and attribute parsing', () => {
  it('registers with its metadata checked', () => {
    const registry = new Registry([proxyDriver]);
    assert.deepEqual(registry.faultTypes(), [
      'proxy.abort',
      'proxy.bandwidth',
      'proxy.latency',
      'proxy.limit-data',
      'proxy.partition',
      'proxy.reset',
      'proxy.slicer',
      'proxy.slow-close',
      'proxy.timeout',
    ]);
    for (const f of proxyDriver.faults) assert.equal(f.scope, 'none');
  });

  describe('config', () => {
    const parse = (raw: Record<string, unknown> | undefined) => {
      const issues = collectIssues();
      return { config: proxyDriver.parseConfig(raw, issues), issues: issues.issues.map((i) => `${i.path}: ${i.message}`) };
    };
    it('defaults to an embedded server with no proxies', () => {
      assert.deepEqual(parse(undefined).config, { url: null, proxies: [] });
    });
    it('fills proxy defaults', () => {
      assert.deepEqual(parse({ url: 'http://127.0.0.1:8474/', proxies: [{ name: 'db', upstream: '127.0.0.1:5432' }] }).config, {
        url: 'http://127.0.0.1:8474',
        proxies: [{ name: 'db', upstream: '127.0.0.1:5432', listen: null, enabled: true, cohort: null }],
      });
    });
    const bad: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://x' }, 'url: '],
      [{ port: 1 }, 'port: unknown setting "port"'],
      [{ proxies: {} }, 'proxies: must be a list of proxies'],
      [{ proxies: [{ upstream: '127.0.0.1:1' }] }, 'proxies[0].name: is required'],
      [{ proxies: [{ name: 'a', upstream: 'nowhere' }] }, 'proxies[0].upstream: must be host:port'],
      [{ proxies: [{ name: 'a', upstream: '127.0.0.1:1', listen: 'x' }] }, 'proxies[0].listen: must be host:port'],
      [{ proxies: [{ name: 'a', upstream: '127.0.0.1:1', enabled: 'yes' }] }, 'proxies[0].enabled: must be true or false'],
      [{ proxies: [{ name: 'a', upstream: '127.0.0.1:1', cohort: { key: 'bad' } }] }, 'proxies[0].cohort: cohort'],
      [{ proxies: [{ name: 'a', upstream: '127.0.0.1:1' }, { name: 'a', upstream: '127.0.0.1:2' }] }, 'proxies[1].name: duplicate proxy name "a"'],
    ];
    for (const [raw, expected] of bad) {
      it(`reports ${expected}`, () => {
        const r = parse(raw);
        assert.equal(r.config, undefined);
        assert.ok(r.issues.some((i) => i.startsWith(expected)), r.issues.join('; '));
      });
    }
  });

  describe('fault attributes', () => {
    it('reads common attributes with their defaults', () => {
      assert.deepEqual(parsed(proxyLatency, { proxy: 'db', latency: '250ms' }), {
        proxy: 'db',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 250, jitter: 0 },
      });
      assert.deepEqual(parsed(proxyBandwidth, { proxy: 'db', rate: 10, stream: 'upstream', toxicity: 0.25, cohort: 'control' }), {
        proxy: 'db',
        stream: 'upstream',
        toxicity: 0.25,
        cohort: 'control',
        attributes: { rate: 10, cohort: 'control' },
      });
      assert.deepEqual(parsed(proxySlicer, { proxy: 'db', averageSize: 64, sizeVariation: 8, delay: '500us' }).attributes, { average_size: 64, size_variation: 8, delay: 500 });
      assert.deepEqual(parsed(proxyLimitData, { proxy: 'db', bytes: '64KB' }).attributes, { bytes: 64_000 });
      assert.deepEqual(parsed(proxyTimeout, { proxy: 'db' }).attributes, { timeout: 0 });
      assert.deepEqual(parsed(proxyReset, { proxy: 'db', timeout: '1s' }).attributes, { timeout: 1000 });
      assert.deepEqual(parsed(proxySlowClose, { proxy: 'db', delay: '2s' }).attributes, { delay: 2000 });
      assert.deepEqual(parsed(proxyAbort, { proxy: 'web', status: 503, body: 'down' }).attributes, { status: 503, body: 'down' });
      assert.deepEqual(parsed(proxyPartition, { proxy: 'db' }), { proxy: 'db' });
    });

    const cases: [string, { parse: any }, Record<string, unknown>, string, RegExp][] = [
      ['a missing proxy', proxyLatency, { latency: '1s' }, 'proxy', /is required/],
      ['a missing latency', proxyLatency, { proxy: 'db' }, 'latency', /is required/],
      ['a bad duration', proxyLatency, { proxy: 'db', latency: 'soon' }, 'latency', /is not a duration/],
      ['a bad jitter', proxyLatency, { proxy: 'db', latency: '1s', jitter: -3 }, 'jitter', /is not a duration/],
      ['a bad stream', proxyLatency, { proxy: 'db', latency: '1s', stream: 'both' }, 'stream', /upstream or downstream/],
      ['a bad toxicity', proxyLatency, { proxy: 'db', latency: '1s', toxicity: 'often' }, 'toxicity', /fraction/],
      ['a bad cohort', proxyLatency, { proxy: 'db', latency: '1s', cohort: 'everyone' }, 'cohort', /canary, control or all/],
      ['an unknown attribute', proxyLatency, { proxy: 'db', latency: '1s', latancy: '2s' }, 'latancy', /unknown attribute/],
      ['a zero rate', proxyBandwidth, { proxy: 'db', rate: 0 }, 'rate', />= 1/],
      ['a fractional rate', proxyBandwidth, { proxy: 'db', rate: 1.5 }, 'rate', /integer/],
      ['a variation not below the average', proxySlicer, { proxy: 'db', averageSize: 10, sizeVariation: 10 }, 'sizeVariation', /smaller than averageSize/],
      ['a missing average size', proxySlicer, { proxy: 'db' }, 'averageSize', /is required/],
      ['a bad byte size', proxyLimitData, { proxy: 'db', bytes: 'lots' }, 'bytes', /not a byte size/],
      ['a missing delay', proxySlowClose, { proxy: 'db' }, 'delay', /is required/],
      ['an out-of-range status', proxyAbort, { proxy: 'web', status: 99 }, 'status', />= 100/],
      ['a stream on an HTTP toxic', proxyAbort, { proxy: 'web', status: 500, stream: 'upstream' }, 'stream', /unknown attribute/],
      ['extra partition attributes', proxyPartition, { proxy: 'db', toxicity: 0.5 }, 'toxicity', /unknown attribute/],
    ];
    for (const [label, fault, attrs, path, message] of cases) {
      it(`reports ${label} at "${path}"`, () => {
        const found = issuesOf(fault, attrs);
        assert.ok(
          found.some((i) => i.path === path && message.test(i.message)),
          JSON.stringify(found),
        );
      });
    }

    it('describes faults in one line', () => {
      assert.equal(proxyLatency.describe(parsed(proxyLatency, { proxy: 'payments', latency: '300ms', jitter: '50ms' })), 'latency 300ms ±50ms on payments (downstream)');
      assert.equal(
        proxyBandwidth.describe(parsed(proxyBandwidth, { proxy: 'db', rate: 5, toxicity: 0.5, cohort: 'control', stream: 'upstream' })),
        'bandwidth 5 KB/s on db (upstream, 50% of connections, control cohort)',
      );
      assert.equal(proxyAbort.describe(parsed(proxyAbort, { proxy: 'web', status: 503 })), 'abort requests with HTTP 503 on web (canary cohort)');
      assert.equal(proxyPartition.describe(parsed(proxyPartition, { proxy: 'db', cohort: 'all' })), 'partition: take proxy db down');
      assert.equal(proxyPartition.describe(parsed(proxyPartition, { proxy: 'db' })), 'partition: cut the canary cohort off db (whole proxy if it is plain TCP)');
    });
  });
});
