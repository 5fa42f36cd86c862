import { strict as assert } from 'node:assert';
import { binomialTest, clopperPearson, errorSplitTest, wilsonInterval } from '../../../src/analysis/stats/index.js';
import { assertClose } from './helpers.js';

describe('binomialTest', () => {
  // scipy 1.10.1: binomtest(k, n, p).pvalue, binomtest(k, n, p, 'greater').pvalue, binomtest(k, n, p, 'less').pvalue
  // (R 4.2.2 binom.test agrees: 682/925 at 0.75 -> 0.38249155957485192; 7/20 at 0.2 -> 0.098221728613468728)
  const reference: [k: number, n: number, p: number, twoSided: number, greater: number, less: number][] = [
    [3, 10, 0.5, 0.34375, 0.9453125, 0.171875],
    [7, 20, 0.2, 0.09822172861346881, 0.08669251356740035, 0.9678573369191248],
    [0, 15, 0.1, 0.38995220120104, 1.0, 0.205891132094649],
    [15, 15, 0.6, 0.0007490894233599999, 0.0004701849845759996, 1.0],
    [60, 100, 0.5, 0.05688793364098088, 0.02844396682049044, 0.9823998998911476],
    [2, 1000, 0.01, 0.005967791781518968, 0.9995207555464211, 0.00267943199379151],
    [25, 1000, 0.01, 4.202920844836726e-5, 4.202920844836726e-5, 0.9999844133494706],
    [51, 235, 1 / 6, 0.043747970182399884, 0.02654424571169087, 0.9820226576058582],
    [500, 100000, 0.004, 1.3062755874810941e-6, 7.701930302701331e-7, 0.9999993901586789],
    [682, 925, 0.75, 0.38249155957485176, 0.8240891223524227, 0.1960092670538832],
  ];
  for (const [k, n, p, twoSided, greater, less] of reference) {
    it(`k=${k}, n=${n}, p=${p.toPrecision(3)} matches SciPy's binomtest`, () => {
      assertClose(binomialTest(k, n, p).pValue, twoSided, 1e-10);
      assertClose(binomialTest(k, n, p, 'greater').pValue, greater, 1e-10);
      assertClose(binomialTest(k, n, p, 'less').pValue, less, 1e-10);
    });
  }

  it('gives p = 1 two-sided when k is exactly the expected count', () => {
    assert.equal(binomialTest(5, 10, 0.5).pValue, 1);
  });

  it('rejects impossible arguments', () => {
    assert.throws(() => binomialTest(11, 10, 0.5), RangeError);
    assert.throws(() => binomialTest(1.5, 10, 0.5), RangeError);
    assert.throws(() => binomialTest(1, 10, 1.5), RangeError);
  });
});

describe('proportion intervals', () => {
  // scipy 1.10.1: binomtest(k, n).proportion_ci(confidence, method='wilson' | 'exact')
  const reference: [k: number, n: number, c: number, wLow: number, wHigh: number, cpLow: number, cpHigh: number][] = [
    [0, 10, 0.95, 0.0, 0.27753279986288926, 0.0, 0.30849710781876294],
    [0, 10, 0.9, 0.0, 0.21294197008340698, 0.0, 0.25886555089334723],
    [3, 10, 0.95, 0.10779126740630102, 0.6032218525388546, 0.06673951117773447, 0.652452850060008],
    [3, 10, 0.9, 0.1268765839031979, 0.5583002041301649, 0.08726443391415029, 0.6066242161055765],
    [10, 10, 0.95, 0.7224672001371109, 1.0, 0.6915028921812371, 1.0],
    [10, 10, 0.9, 0.787058029916593, 1.0, 0.7411344491066528, 1.0],
    [42, 50, 0.95, 0.7148578393696501, 0.916625793219666, 0.7088736934048842, 0.9282992328167151],
    [42, 50, 0.9, 0.737671530452939, 0.9074219032123975, 0.729779922473587, 0.9178149382613869],
    [7, 400, 0.95, 0.008502291107038097, 0.035677072925558044, 0.0070641282207539, 0.03572287359361954],
    [7, 400, 0.9, 0.009515640472058717, 0.03196763117801155, 0.008241354818687896, 0.03261797645133059],
    [682, 925, 0.95, 0.7079959876196205, 0.7646358009714889, 0.707668264079039, 0.7654065582414781],
    [682, 925, 0.9, 0.7128280974434658, 0.7603823981686288, 0.7124129244365465, 0.7610552746895476],
  ];
  for (const [k, n, c, wLow, wHigh, cpLow, cpHigh] of reference) {
    it(`${k}/${n} at ${c}: Wilson and Clopper-Pearson match SciPy`, () => {
      const w = wilsonInterval(k, n, c);
      assertClose(w.lower, wLow, 1e-12);
      assertClose(w.upper, wHigh, 1e-12);
      const cp = clopperPearson(k, n, c);
      assertClose(cp.lower, cpLow, 1e-9);
      assertClose(cp.upper, cpHigh, 1e-9);
      assert.equal(cp.estimate, k / n);
    });
  }

  it('needs at least one trial', () => {
    assert.throws(() => wilsonInterval(0, 0), RangeError);
    assert.throws(() => clopperPearson(0, 0), RangeError);
  });
});

describe('errorSplitTest', () => {
  // scipy 1.10.1: p = binomtest(ce, ce + ke, ct / (ct + kt), 'greater').pvalue; the interval is
  // binomtest(ce, ce + ke).proportion_ci(0.95, 'exact') mapped through pi -> pi / (1 - pi) · (1 - share) / share.
  const reference: [ce: number, ke: number, ct: number, kt: number, p: number, ratio: number, lower: number, upper: number][] = [
    [30, 12, 1000, 1000, 0.003957948667448363, 2.5, 1.242963135062152, 5.361668483508041],
    [9, 10, 500, 1500, 0.02874782986327773, 2.7, 0.9707471850019678, 7.393452892626356],
    [5, 0, 100, 100, 0.03125, Infinity, 0.91635585731546, Infinity],
    [0, 4, 100, 100, 1.0, 0.0, 0.0, 1.5148668593659411],
    [120, 100, 5000, 5000, 0.10004611451413563, 1.2, 0.9126057783453659, 1.5807420070199933],
  ];
  for (const [canaryErrors, controlErrors, canaryTraffic, controlTraffic, p, ratio, lower, upper] of reference) {
    it(`${canaryErrors}/${canaryTraffic} vs ${controlErrors}/${controlTraffic}: p=${p.toPrecision(3)}, ratio ${ratio}`, () => {
      const r = errorSplitTest({ canaryErrors, controlErrors, canaryTraffic, controlTraffic });
      assertClose(r.pValue, p, 1e-10);
      assertClose(r.rateRatio, ratio, 1e-12);
      assertClose(r.lower, lower, 1e-8);
      assertClose(r.upper, upper, 1e-8);
      assert.equal(r.totalErrors, canaryErrors + controlErrors);
      assertClose(r.expectedShare, canaryTraffic / (canaryTraffic + controlTraffic), 1e-15);
    });
  }

  it('says nothing without errors', () => {
    const r = errorSplitTest({ canaryErrors: 0, controlErrors: 0, canaryTraffic: 10, controlTraffic: 10 });
    assert.equal(r.pValue, 1);
    assert.ok(Number.isNaN(r.rateRatio));
    assert.deepEqual([r.lower, r.upper], [0, Infinity]);
  });

  it('needs traffic in both cohorts', () => {
    assert.throws(() => errorSplitTest({ canaryErrors: 1, controlErrors: 1, canaryTraffic: 0, controlTraffic: 10 }), RangeError);
    assert.throws(() => errorSplitTest({ canaryErrors: -1, controlErrors: 1, canaryTraffic: 5, controlTraffic: 10 }), RangeError);
  });
});
