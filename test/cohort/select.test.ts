import { strict as assert } from 'node:assert';
import { DEFAULT_SEED, percentCount, selectTargets, type SelectionSpec } from '../../src/cohort/select.js';
import { seededRandom, seededShuffle } from '../../src/cohort/seeded-random.js';
import { isFirebreakError, type ErrorCode } from '../../src/errors.js';
import type { Target } from '../../src/faults/types.js';

/** Ten containers, `web-0` .. `web-9`, two of them labelled as the database. */
function fleet(n = 10): Target[] {
  return Array.from({ length: n }, (_, i) => ({
    driver: 'docker',
    id: `id-${String(i).padStart(2, '0')}`,
    name: `web-${i}`,
    labels: { app: 'shop', role: i >= n - 2 ? 'db' : 'web' },
  }));
}

const ids = (ts: Target[]): string[] => ts.map((t) => t.id);

describe('selectTargets', () => {
  const counts: [string, SelectionSpec, number][] = [
    ['one', { mode: 'one' }, 1],
    ['all', { mode: 'all' }, 10],
    ['fixed 3', { mode: 'fixed', value: 3 }, 3],
    ['fixed 10 (all of them)', { mode: 'fixed', value: 10 }, 10],
    ['percent 25 of 10 rounds up to 3', { mode: 'percent', value: 25 }, 3],
    ['percent 50 of 10', { mode: 'percent', value: 50 }, 5],
    ['percent 1 of 10 is still 1', { mode: 'percent', value: 1 }, 1],
    ['percent 100', { mode: 'percent', value: 100 }, 10],
  ];
  for (const [title, spec, expected] of counts) {
    it(`${title}: canary of ${expected}, control is the rest`, () => {
      const s = selectTargets(fleet(), spec, {});
      assert.equal(s.canary.length, expected);
      assert.equal(s.control.length, 10 - expected);
      assert.equal(s.considered, 10);
      assert.deepEqual(s.protected, []);
      const all = new Set([...ids(s.canary), ...ids(s.control)]);
      assert.equal(all.size, 10, 'canary and control are disjoint and cover every eligible target');
    });
  }

  it('random-max-percent picks a seeded count between 1 and the percent count', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const n = selectTargets(fleet(), { mode: 'random-max-percent', value: 40, seed }, {}).canary.length;
      assert.ok(n >= 1 && n <= 4, `count ${n}`);
      seen.add(n);
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4], 'every count in range comes up over 60 seeds');
    const again = (seed: number): string[] => ids(selectTargets(fleet(), { mode: 'random-max-percent', value: 40, seed }, {}).canary);
    assert.deepEqual(again(17), again(17));
  });

  it('is repeatable for a seed, whatever order the candidates come in', () => {
    const spec: SelectionSpec = { mode: 'fixed', value: 3, seed: 'gameday-2024-06' };
    const a = selectTargets(fleet(), spec, {});
    const b = selectTargets(fleet().reverse(), spec, {});
    assert.deepEqual(ids(a.canary), ids(b.canary));
    assert.deepEqual(ids(a.control), ids(b.control));
    assert.equal(a.seed, 'gameday-2024-06');
    assert.equal(selectTargets(fleet(), { mode: 'one' }, {}).seed, DEFAULT_SEED);
  });

  it('varies with the seed', () => {
    const picks = new Set<string>();
    for (let seed = 0; seed < 20; seed++) picks.add(ids(selectTargets(fleet(), { mode: 'fixed', value: 3, seed }, {}).canary).join(','));
    assert.ok(picks.size > 10, `only ${picks.size} distinct selections over 20 seeds`);
  });

  it('never selects a protected target, and keeps it out of the control', () => {
    for (let seed = 0; seed < 30; seed++) {
      const s = selectTargets(fleet(), { mode: 'all', seed, protect: { labels: { role: 'db' } } }, {});
      assert.deepEqual(ids(s.protected), ['id-08', 'id-09']);
      assert.equal(s.canary.length, 8);
      assert.ok(s.canary.every((t) => t.labels.role === 'web'));
      assert.deepEqual(s.control, []);
      assert.equal(s.considered, 10);
    }
  });

  it('takes percentages of the unprotected targets', () => {
    const s = selectTargets(fleet(), { mode: 'percent', value: 50, protect: { names: ['web-0', 'web-1'] } }, {});
    assert.equal(s.canary.length, 4);
    assert.equal(s.control.length, 4);
    assert.equal(s.protected.length, 2);
  });

  it('applies the selector before everything else', () => {
    const s = selectTargets(fleet(), { mode: 'all' }, { labels: { role: 'db' } });
    assert.deepEqual(ids(s.canary), ['id-08', 'id-09']);
    assert.equal(s.considered, 2);
  });

  const refusals: [string, SelectionSpec, Record<string, unknown>, ErrorCode, RegExp][] = [
    ['nothing matches', { mode: 'one' }, { labels: { app: 'bank' } }, 'FIREBREAK_E_PLAN', /no target matched the selector .*10 candidates/],
    ['everything matching is protected', { mode: 'one', protect: { labels: { app: 'shop' } } }, {}, 'FIREBREAK_E_PLAN', /all 10 targets matching the selector are protected/],
    ['fixed asks for more than there are', { mode: 'fixed', value: 11 }, {}, 'FIREBREAK_E_PLAN', /fixed 11 asks for more targets than the 10 eligible/],
    ['blast radius by count', { mode: 'percent', value: 50, maxBlastRadius: { count: 4 } }, {}, 'FIREBREAK_E_BLAST_RADIUS', /would touch 5 targets of 10 matching; maxBlastRadius.count allows at most 4/],
    ['blast radius by fraction', { mode: 'fixed', value: 4, maxBlastRadius: { fraction: 0.3 } }, {}, 'FIREBREAK_E_BLAST_RADIUS', /would touch 4 of 10 matching targets \(40%\); maxBlastRadius.fraction 0.3 allows at most 3/],
    ['all under a fraction limit', { mode: 'all', maxBlastRadius: { fraction: 0.5 } }, {}, 'FIREBREAK_E_BLAST_RADIUS', /10 of 10/],
    ['unknown mode', { mode: 'most' as never }, {}, 'FIREBREAK_E_INVALID', /unknown mode "most"/],
    ['fixed without a value', { mode: 'fixed' }, {}, 'FIREBREAK_E_INVALID', /integer value >= 1/],
    ['fixed 1.5', { mode: 'fixed', value: 1.5 }, {}, 'FIREBREAK_E_INVALID', /integer value >= 1/],
    ['percent 0', { mode: 'percent', value: 0 }, {}, 'FIREBREAK_E_INVALID', /0 < value <= 100/],
    ['percent 150', { mode: 'random-max-percent', value: 150 }, {}, 'FIREBREAK_E_INVALID', /0 < value <= 100/],
    ['fraction above 1', { mode: 'one', maxBlastRadius: { fraction: 2 } }, {}, 'FIREBREAK_E_INVALID', /between 0 and 1/],
  ];
  for (const [title, spec, selector, code, message] of refusals) {
    it(`refuses: ${title} (${code})`, () => {
      assert.throws(
        () => selectTargets(fleet(), spec, selector),
        (err: unknown) => {
          assert.ok(isFirebreakError(err, code), `got ${(err as Error).message}`);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('accepts a canary exactly at the blast-radius limits', () => {
    const s = selectTargets(fleet(), { mode: 'fixed', value: 3, maxBlastRadius: { count: 3, fraction: 0.3 } }, {});
    assert.equal(s.canary.length, 3);
  });
});

describe('percentCount and the seeded stream', () => {
  const table: [number, number, number][] = [
    [25, 10, 3], [10, 10, 1], [33.4, 3, 2], [33.3, 3, 1], [100, 7, 7], [0.1, 1, 1], [50, 1, 1], [0, 5, 0], [20, 0, 0],
  ];
  for (const [p, n, expected] of table) {
    it(`${p}% of ${n} = ${expected}`, () => assert.equal(percentCount(p, n), expected));
  }

  it('the stream is stable across processes and versions (pinned values)', () => {
    // A journal's seed must give the same selection on any machine later: these values never change.
    const r = seededRandom('firebreak');
    assert.deepEqual([r(), r(), r()], [0.9379802375819679, 0.25966260350228865, 0.458175512177295]);
    assert.deepEqual(seededShuffle(['a', 'b', 'c', 'd', 'e'], seededRandom('pin')), ['e', 'b', 'c', 'a', 'd']);
  });
});
