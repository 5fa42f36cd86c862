import { strict as assert } from 'node:assert';
import { binomialTest, createRandom, createSequentialLatencyTest, mannWhitney } from '../../../src/analysis/stats/index.js';

/**
 * Simulated runs with a look every tick. Latencies are log-normal (median 50 ms, sigma 0.5); canary's are
 * multiplied by `factor`. Before the during phase, 2,000 control requests fix the slow threshold at
 * their p99. Per tick each cohort serves 100 requests. Per run we record whether (a) the
 * sequential slow-request test ever rejected, (b) a fixed-sample one-sided binomial test on the slow
 * split re-run every tick ever rejected, (c) a fixed-sample Mann-Whitney test on per-tick p99 values
 * re-run every tick (from the 5th) ever rejected.
 */
const ALPHA = 0.05;
const MIN_SLOW = 5;
const MU = Math.log(50);
const SIGMA = 0.5;

function p99(values: number[]): number {
  return Float64Array.from(values).sort()[Math.ceil(0.99 * values.length) - 1]!;
}

// The p99 of 100 values is the second largest.
function secondLargest(values: number[]): number {
  let first = -Infinity;
  let second = -Infinity;
  for (const v of values) {
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) second = v;
  }
  return second;
}

function simulate(seed: number, runs: number, ticks: number, factor: number) {
  const requests = 100;
  const rnd = createRandom(seed);
  let sequential = 0;
  let fixedSplit = 0;
  let fixedRank = 0;
  const detectedAt: number[] = [];
  const canaryTick = new Array<number>(requests);
  const controlTick = new Array<number>(requests);
  for (let run = 0; run < runs; run++) {
    const before = Array.from({ length: 2000 }, () => rnd.logNormal(MU, SIGMA));
    const threshold = p99(before);
    const test = createSequentialLatencyTest({ alpha: ALPHA, minSlow: MIN_SLOW });
    let canarySlow = 0;
    let controlSlow = 0;
    const canaryP99: number[] = [];
    const controlP99: number[] = [];
    let seqStopped = false;
    let splitStopped = false;
    let rankStopped = false;
    for (let tick = 1; tick <= ticks; tick++) {
      for (let i = 0; i < requests; i++) {
        canaryTick[i] = factor * rnd.logNormal(MU, SIGMA);
        controlTick[i] = rnd.logNormal(MU, SIGMA);
        if (canaryTick[i]! > threshold) canarySlow++;
        if (controlTick[i]! > threshold) controlSlow++;
      }
      canaryP99.push(secondLargest(canaryTick));
      controlP99.push(secondLargest(controlTick));
      if (!seqStopped && test.update({ canarySlow, controlSlow }).reject) {
        seqStopped = true;
        detectedAt.push(tick);
      }
      const total = canarySlow + controlSlow;
      if (!splitStopped && total >= MIN_SLOW && binomialTest(canarySlow, total, 0.5, 'greater').pValue <= ALPHA) splitStopped = true;
      if (!rankStopped && tick >= 5 && mannWhitney(canaryP99, controlP99, { alternative: 'greater' }).pValue <= ALPHA) rankStopped = true;
    }
    if (seqStopped) sequential++;
    if (splitStopped) fixedSplit++;
    if (rankStopped) fixedRank++;
  }
  detectedAt.sort((a, b) => a - b);
  return {
    sequential: sequential / runs,
    fixedSplit: fixedSplit / runs,
    fixedRank: fixedRank / runs,
    medianTicksToDetect: detectedAt[Math.floor(detectedAt.length / 2)],
  };
}

const margin = (runs: number): number => 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / runs);

describe('sequential latency test under repeated looks (simulation)', function () {
  this.timeout(30_000);

  it('keeps false aborts under alpha on a null run looked at every tick, where fixed-sample tests do not', () => {
    const runs = 600;
    const r = simulate(401, runs, 50, 1);
    assert.ok(r.sequential <= ALPHA + margin(runs), `sequential false-abort rate ${r.sequential}`);
    assert.ok(r.fixedSplit > 2 * ALPHA, `fixed slow-split test re-run every tick: ${r.fixedSplit}`);
    assert.ok(r.fixedRank > 2 * ALPHA, `fixed rank test on per-tick p99 re-run every tick: ${r.fixedRank}`);
    assert.ok(Math.min(r.fixedSplit, r.fixedRank) > 3 * r.sequential, `inflation vs ${r.sequential}`);
  });

  it('aborts most runs when canary is 1.5x or 1.2x slower', () => {
    const big = simulate(402, 200, 50, 1.5);
    const small = simulate(403, 200, 50, 1.2);
    assert.ok(big.sequential >= 0.95, `power at 1.5x: ${big.sequential}`);
    assert.ok(small.sequential >= 0.8, `power at 1.2x: ${small.sequential}`);
    assert.ok(big.medianTicksToDetect! < small.medianTicksToDetect!, `${big.medianTicksToDetect} vs ${small.medianTicksToDetect}`);
  });
});
