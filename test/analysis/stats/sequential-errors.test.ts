import { strict as assert } from 'node:assert';
import { binomialTest, createRandom, createSequentialErrorTest, type Random } from '../../../src/analysis/stats/index.js';

/**
 * Simulated runs with a look every tick. Each run: `ticks` ticks, Poisson traffic per cohort, each request
 * failing with the cohort's error probability. Per run we record whether (a) the sequential test ever
 * rejected, (b) a fixed-sample one-sided binomial test (alpha) re-run on the cumulative counts at every
 * tick ever rejected, (c) that fixed-sample test rejected when looked at once, at the end.
 */
interface Scenario {
  seed: number;
  runs: number;
  ticks: number;
  canaryRequests: number;
  controlRequests: number;
  /** Error probability per request, per tick (may vary over time, but the same for both cohorts under the null). */
  canaryRate: (tick: number, rnd: Random) => number;
  controlRate: (tick: number, rnd: Random) => number;
}

const ALPHA = 0.05;
const MIN_ERRORS = 5;

function simulate(s: Scenario) {
  const rnd = createRandom(s.seed);
  let sequential = 0;
  let fixedEveryTick = 0;
  let fixedOnce = 0;
  const detectedAt: number[] = [];
  for (let run = 0; run < s.runs; run++) {
    const test = createSequentialErrorTest({ alpha: ALPHA, minErrors: MIN_ERRORS });
    let ce = 0;
    let ke = 0;
    let ct = 0;
    let kt = 0;
    let seqStopped = false;
    let fixedStopped = false;
    for (let tick = 1; tick <= s.ticks; tick++) {
      const cn = rnd.poisson(s.canaryRequests);
      const kn = rnd.poisson(s.controlRequests);
      const controlRate = s.controlRate(tick, rnd);
      ct += cn;
      kt += kn;
      ce += rnd.binomial(cn, s.canaryRate(tick, rnd));
      ke += rnd.binomial(kn, controlRate);
      if (!seqStopped && test.update({ canaryErrors: ce, controlErrors: ke, canaryTraffic: ct, controlTraffic: kt }).reject) {
        seqStopped = true;
        detectedAt.push(tick);
      }
      if (!fixedStopped && ce + ke >= MIN_ERRORS && binomialTest(ce, ce + ke, ct / (ct + kt), 'greater').pValue <= ALPHA) {
        fixedStopped = true;
      }
    }
    if (seqStopped) sequential++;
    if (fixedStopped) fixedEveryTick++;
    if (ce + ke >= MIN_ERRORS && binomialTest(ce, ce + ke, ct / (ct + kt), 'greater').pValue <= ALPHA) fixedOnce++;
  }
  detectedAt.sort((a, b) => a - b);
  return {
    sequential: sequential / s.runs,
    fixedEveryTick: fixedEveryTick / s.runs,
    fixedOnce: fixedOnce / s.runs,
    medianTicksToDetect: detectedAt[Math.floor(detectedAt.length / 2)],
  };
}

// Three Monte-Carlo standard errors of a rate alpha over `runs` runs.
const margin = (runs: number): number => 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / runs);

describe('sequential error test under repeated looks (simulation)', function () {
  this.timeout(30_000);

  it('keeps false aborts under alpha on a null run looked at every tick, where a fixed-sample test does not', () => {
    const runs = 1000;
    const r = simulate({
      seed: 101,
      runs,
      ticks: 60,
      canaryRequests: 100,
      controlRequests: 100,
      canaryRate: () => 0.02,
      controlRate: () => 0.02,
    });
    // Seeded, so these are the same every time: sequential ~0.02, fixed every tick ~0.2, fixed once ~alpha.
    assert.ok(r.sequential <= ALPHA + margin(runs), `sequential false-abort rate ${r.sequential}`);
    assert.ok(r.fixedOnce <= ALPHA + margin(runs), `fixed test looked at once: ${r.fixedOnce}`);
    assert.ok(r.fixedEveryTick > 2 * ALPHA, `fixed test re-run every tick: ${r.fixedEveryTick}`);
    assert.ok(r.fixedEveryTick > 3 * r.sequential, `inflation: ${r.fixedEveryTick} vs ${r.sequential}`);
  });

  it('stays valid with a small canary cohort and an error rate that bursts for both cohorts', () => {
    const runs = 600;
    // Canary is 20% of traffic; the shared error rate jumps between 0.5% and 10% from tick to tick.
    const burst = (_tick: number, rnd: Random): number => (rnd.next() < 0.2 ? 0.1 : 0.005);
    let shared = 0;
    const r = simulate({
      seed: 202,
      runs,
      ticks: 60,
      canaryRequests: 50,
      controlRequests: 200,
      // Both cohorts see the same rate in a tick: the control rate is drawn first and reused for canary.
      controlRate: (tick, rnd) => (shared = burst(tick, rnd)),
      canaryRate: () => shared,
    });
    assert.ok(r.sequential <= ALPHA + margin(runs), `sequential false-abort rate ${r.sequential}`);
    assert.ok(r.fixedEveryTick > 2 * ALPHA, `fixed test re-run every tick: ${r.fixedEveryTick}`);
  });

  it('aborts most runs when canary errors twice or three times as often', () => {
    const two = simulate({ seed: 303, runs: 400, ticks: 60, canaryRequests: 100, controlRequests: 100, canaryRate: () => 0.04, controlRate: () => 0.02 });
    const three = simulate({ seed: 304, runs: 400, ticks: 60, canaryRequests: 100, controlRequests: 100, canaryRate: () => 0.06, controlRate: () => 0.02 });
    assert.ok(two.sequential >= 0.9, `power at 2x: ${two.sequential}`);
    assert.ok(three.sequential >= 0.95, `power at 3x: ${three.sequential}`);
    // Bigger effects are caught sooner.
    assert.ok(three.medianTicksToDetect! < two.medianTicksToDetect!, `${three.medianTicksToDetect} vs ${two.medianTicksToDetect}`);
  });
});
