import { strict as assert } from 'node:assert';
import { compileNamePattern, imageMatches, matchesSelector } from '../../src/cohort/select.js';
import type { TargetSelector } from '../../src/drivers/types.js';
import { isFirebreakError } from '../../src/errors.js';
import type { Target } from '../../src/faults/types.js';

const pod: Target = {
  driver: 'kubernetes',
  id: 'uid-1234',
  name: 'payments-7f9c',
  labels: { app: 'payments', tier: 'front' },
  meta: { image: 'registry.example:5000/shop/payments:1.4.2', namespace: 'shop' },
};

describe('matchesSelector', () => {
  const cases: [string, TargetSelector, boolean][] = [
    ['empty selector matches everything', {}, true],
    ['name listed', { names: ['db', 'payments-7f9c'] }, true],
    ['id listed', { names: ['uid-1234'] }, true],
    ['name not listed', { names: ['db'] }, false],
    ['glob', { namePattern: 'payments-*' }, true],
    ['glob is anchored', { namePattern: 'ments-*' }, false],
    ['glob ? is one character', { namePattern: 'payments-7f9?' }, true],
    ['glob dots are literal', { namePattern: 'payments.7f9c' }, false],
    ['regex', { namePattern: '/^pay.*-[0-9a-f]{4}$/' }, true],
    ['regex with flags', { namePattern: '/^PAYMENTS/i' }, true],
    ['regex not anchored unless written so', { namePattern: '/7f9/' }, true],
    ['regex miss', { namePattern: '/^db/' }, false],
    ['labels all match', { labels: { app: 'payments', tier: 'front' } }, true],
    ['one label differs', { labels: { app: 'payments', tier: 'back' } }, false],
    ['label missing', { labels: { canary: 'ok' } }, false],
    ['image exact', { image: 'registry.example:5000/shop/payments:1.4.2' }, true],
    ['image without tag matches any tag', { image: 'registry.example:5000/shop/payments' }, true],
    ['image with another tag', { image: 'registry.example:5000/shop/payments:1.5' }, false],
    ['registry port is not a tag', { image: 'registry.example:5000/shop' }, false],
    ['namespace listed', { namespaces: ['default', 'shop'] }, true],
    ['namespace not listed', { namespaces: ['default'] }, false],
    ['every field must hold', { namePattern: 'payments-*', labels: { app: 'db' } }, false],
    ['driver-specific keys are left to the driver', { composeProject: 'x' }, true],
  ];
  for (const [title, selector, expected] of cases) {
    it(`${title}: ${JSON.stringify(selector)} → ${expected}`, () => assert.equal(matchesSelector(pod, selector), expected));
  }

  it('a target without a namespace never matches a namespace selector', () => {
    assert.equal(matchesSelector({ ...pod, meta: {} }, { namespaces: ['shop'] }), false);
  });

  it('compiles patterns and rejects a broken regex', () => {
    assert.equal(compileNamePattern('a+b*').test('a+bcd'), true);
    assert.equal(compileNamePattern('/a/g').flags.includes('g'), false, 'a global regex would make test() stateful');
    assert.throws(() => compileNamePattern('/(/'), (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_INVALID') && /namePattern \/\(\/ is not a valid regular expression/.test(err.message));
  });

  it('matches images by repository', () => {
    assert.equal(imageMatches('busybox', 'busybox:latest'), true);
    assert.equal(imageMatches('busybox', 'busybox@sha256:abc'), true);
    assert.equal(imageMatches('busybox', 'other/busybox:latest'), false);
    assert.equal(imageMatches('busybox', undefined), false);
  });
});
