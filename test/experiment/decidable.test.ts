import { strict as assert } from 'node:assert';
import { defineExperiment } from '../../src/experiment/loader.js';
import { decidabilityWarnings } from '../../src/experiment/decidable.js';

const experiment = (rate: number, phases: Record<string, string>, tolerances: string[]) =>
  defineExperiment({
    title: 'sizing',
    cohort: { traffic: { canary: '10%', control: '10%', salt: 's' } },
    phases,
    hypothesis: { probes: [{ name: 'shop', type: 'load', url: 'http://127.0.0.1:9/', rate }], tolerances },
  } as never);

describe('validation says which checks can never decide with the declared phases, ticks and rates', () => {
  it('a short, slow run: the error rate, the intervals and the per-interval p99 are all named', () => {
    const w = decidabilityWarnings(experiment(50, { before: '3s', during: '5s', after: '3s', tick: '1s' }, [
      'shop.errors.rate < 1%', 'shop.latency.p99 canary <= 1.2x control', 'shop.errors.rate canary <= 1.5x control',
    ]));
    assert.ok(w.some((x) => /"shop.errors.rate < 1%" cannot decide in the before phase \(3s\): about 15 requests .* at least 271 are needed/.test(x)), w.join('\n'));
    assert.ok(w.some((x) => /"shop.latency.p99 canary <= 1.2x control" cannot decide in the during phase \(5s\): 5 interval\(s\) of 1000 ms per cohort where 8 are needed/.test(x)));
    assert.ok(w.some((x) => /"shop.errors.rate canary <= 1.5x control" cannot decide in the during phase .* within the 0.5% allowance/.test(x)));
  });

  it('a per-interval p99 over thin intervals is named; p90 on the same intervals is not', () => {
    const phases = { before: '10s', during: '20s', after: '10s', tick: '1s' };
    assert.ok(decidabilityWarnings(experiment(200, phases, ['shop.latency.p99 canary <= control + 50ms'])).some((x) => /too noisy to compare/.test(x)));
    assert.deepEqual(decidabilityWarnings(experiment(200, phases, ['shop.latency.p90 canary <= control + 50ms'])), []);
  });

  it('an error-rate limit that only a phase without a single error can show is named, with the requests that absorb one', () => {
    const phases = { before: '10s', during: '20s', after: '10s', tick: '1s' };
    // 10% of 300/s for 10 s: 300 canary requests. With none failing the Wilson bound is 0.89% (< 1%);
    // with one it is 1.58%: a single stray error leaves the check inconclusive.
    const w = decidabilityWarnings(experiment(300, phases, ['shop.errors.rate < 1%']));
    assert.deepEqual(w.filter((x) => /before/.test(x)), [
      '"shop.errors.rate < 1%" decides in the before phase (10s) only if not one request fails: with about 300 requests, a single error leaves it inconclusive; about 446 absorb one (a higher rate, a longer phase or a looser limit)',
    ]);
    assert.deepEqual(decidabilityWarnings(experiment(450, phases, ['shop.errors.rate < 1%'])), [], '450 requests absorb one error');
    assert.deepEqual(decidabilityWarnings(experiment(300, phases, ['shop.errors.rate < 2%'])), [], 'a looser limit absorbs it at 300');
  });

  it('a run sized as docs/statistics.md says has nothing to warn about', () => {
    const w = decidabilityWarnings(experiment(600, { before: '10s', during: '20s', after: '20s', tick: '2s' }, [
      'shop.errors.rate < 1%', 'shop.latency.p99 < 300ms', 'shop.errors.rate canary <= 1.5x control', 'shop.latency.p99 canary <= control + 50ms',
    ]));
    assert.deepEqual(w, []);
  });
});
