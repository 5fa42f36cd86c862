import { strict as assert } from 'node:assert';
import { collectIssues } from '../../../src/experiment/issues.js';
import { loadProbe, parseErrorStatus, isErrorStatus, activeCohorts, loopbackAddressOf } from '../../../src/probes/load/index.js';

describe('load probe attributes', () => {
  it('is a signals probe of type "load" on the core driver', () => {
    assert.equal(loadProbe.kind, 'signals');
    assert.equal(loadProbe.type, 'load');
    assert.equal(loadProbe.driver, 'core');
  });

  it('fills the defaults', () => {
    const issues = collectIssues();
    const a = loadProbe.parse({ url: 'http://127.0.0.1:8080', rate: 50 }, issues)!;
    assert.deepEqual(issues.issues, []);
    assert.equal(a.url.href, 'http://127.0.0.1:8080/');
    assert.equal(a.rate, 50);
    // rate x timeout with a quarter spare, plus 16: 50/s x 2 s -> 125 + 16.
    assert.equal(a.maxInFlight, 141);
    assert.equal(a.warmupMs, 1000);
    assert.equal(a.timeoutMs, 2000);
    assert.equal(a.maxLagMs, 10);
    assert.deepEqual(a.requests, [{ method: 'GET', path: '/', headers: {}, weight: 1 }]);
    assert.deepEqual(a.users, { count: 1000, header: 'x-user-id', prefix: 'user-' });
    assert.equal(a.cohort, undefined);
    assert.ok(isErrorStatus(500, a.errorStatus) && isErrorStatus(599, a.errorStatus) && !isErrorStatus(404, a.errorStatus));
  });

  it('takes the cohort key from users.header unless given', () => {
    const issues = collectIssues();
    const a = loadProbe.parse({ url: 'http://localhost', rate: 1, users: { header: 'X-Session' }, cohort: { salt: 's', canary: 0.1, control: 0.1 } }, issues)!;
    assert.deepEqual(issues.issues, []);
    assert.deepEqual(a.cohort?.key, { from: 'header', name: 'x-session' });
    assert.equal(a.users.header, 'x-session');
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing url', { rate: 10 }, 'url', /is required/],
    ['non-http url', { url: 'ftp://127.0.0.1/', rate: 10 }, 'url', /must use http or https, got ftp/],
    ['not a url', { url: 'not a url', rate: 10 }, 'url', /is not a URL/],
    ['credentials in url', { url: 'http://u:p@127.0.0.1/', rate: 10 }, 'url', /must not carry credentials/],
    ['missing rate', { url: 'http://127.0.0.1' }, 'rate', /is required/],
    ['zero rate', { url: 'http://127.0.0.1', rate: 0 }, 'rate', /greater than 0/],
    ['text rate', { url: 'http://127.0.0.1', rate: 'fast' }, 'rate', /must be a number/],
    ['fractional maxInFlight', { url: 'http://127.0.0.1', rate: 1, maxInFlight: 2.5 }, 'maxInFlight', /integer >= 1/],
    ['bad timeout', { url: 'http://127.0.0.1', rate: 1, timeout: 'soon' }, 'timeout', /is not a duration/],
    ['zero timeout', { url: 'http://127.0.0.1', rate: 1, timeout: '0s' }, 'timeout', /longer than 0/],
    ['bad maxLag', { url: 'http://127.0.0.1', rate: 1, maxLag: '-1ms' }, 'maxLag', /is not a duration/],
    ['empty requests', { url: 'http://127.0.0.1', rate: 1, requests: [] }, 'requests', /non-empty list/],
    ['relative path', { url: 'http://127.0.0.1', rate: 1, requests: [{ path: 'items' }] }, 'requests[0].path', /starting with "\/"/],
    ['bad method', { url: 'http://127.0.0.1', rate: 1, requests: [{ method: 'GE T' }] }, 'requests[0].method', /not an HTTP method/],
    ['zero weight', { url: 'http://127.0.0.1', rate: 1, requests: [{ path: '/', weight: 0 }] }, 'requests[0].weight', /greater than 0/],
    ['unknown request key', { url: 'http://127.0.0.1', rate: 1, requests: [{ path: '/', verb: 'GET' }] }, 'requests[0].verb', /unknown attribute/],
    ['users count', { url: 'http://127.0.0.1', rate: 1, users: { count: 0 } }, 'users.count', /integer >= 1/],
    ['users header', { url: 'http://127.0.0.1', rate: 1, users: { header: 'x user' } }, 'users.header', /not a valid header name/],
    ['cohort salt', { url: 'http://127.0.0.1', rate: 1, cohort: { canary: 0.1, control: 0.1 } }, 'cohort.salt', /non-empty string/],
    ['cohort shares', { url: 'http://127.0.0.1', rate: 1, cohort: { salt: 's', canary: 0.6, control: 0.6 } }, 'cohort', /must not exceed 1/],
    ['cohort share range', { url: 'http://127.0.0.1', rate: 1, cohort: { salt: 's', canary: 5, control: 0.1 } }, 'cohort.canary', /must be a share between 0 and 1/],
    ['cohort key', { url: 'http://127.0.0.1', rate: 1, cohort: { key: 'query:u', salt: 's', canary: 0.1, control: 0.1 } }, 'cohort.key', /not a sticky key source/],
    ['client-address off loopback', { url: 'http://shop.example', rate: 1, cohort: { key: 'client-address', salt: 's', canary: 0.1, control: 0.1 } }, 'cohort.key', /loopback/],
    ['error status', { url: 'http://127.0.0.1', rate: 1, errorStatus: 'bad' }, 'errorStatus', /not a status rule/],
    ['unknown attribute', { url: 'http://127.0.0.1', rate: 1, rps: 5 }, 'rps', /unknown attribute "rps"/],
  ];
  for (const [name, raw, path, message] of bad) {
    it(`rejects ${name} at ${path}`, () => {
      const issues = collectIssues();
      assert.equal(loadProbe.parse(raw, issues), undefined);
      const hit = issues.issues.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(issues.issues)}`);
      assert.match(hit.message, message);
    });
  }

  const statuses: [unknown, number[], number[]][] = [
    [undefined, [500, 503, 599], [200, 404, 499]],
    [400, [400, 404, 503], [200, 399]],
    ['5xx', [500, 599], [499, 200]],
    ['>=429', [429, 500], [428]],
    ['>499', [500], [499]],
    ['500-502', [500, 502], [503]],
    [[429, '5xx'], [429, 500], [430, 404]],
  ];
  for (const [rule, errors, fine] of statuses) {
    it(`errorStatus ${JSON.stringify(rule)}`, () => {
      const issues = collectIssues();
      const ranges = parseErrorStatus(rule, issues)!;
      assert.deepEqual(issues.issues, []);
      for (const s of errors) assert.ok(isErrorStatus(s, ranges), `${s} is an error`);
      for (const s of fine) assert.ok(!isErrorStatus(s, ranges), `${s} is not an error`);
    });
  }

  it('lists the cohorts that can receive traffic', () => {
    assert.deepEqual(activeCohorts({}), ['untouched']);
    const key = { from: 'header' as const, name: 'x' };
    assert.deepEqual(activeCohorts({ cohort: { key, salt: 's', canary: 0.1, control: 0.1 } }), ['canary', 'control', 'untouched']);
    assert.deepEqual(activeCohorts({ cohort: { key, salt: 's', canary: 0.5, control: 0.5 } }), ['canary', 'control']);
  });

  it('gives each user a distinct loopback source address', () => {
    const addresses = new Set(Array.from({ length: 70_000 }, (_, i) => loopbackAddressOf(i)));
    assert.equal(addresses.size, 70_000);
    for (const a of addresses) assert.match(a, /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
  });
});
