import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { checkDockerSelector } from '../../../src/drivers/docker/selector.js';
import { isFirebreakError } from '../../../src/errors.js';
import { collectIssues } from '../../../src/experiment/issues.js';

function issuesOf(raw: Record<string, unknown>): string[] {
  const issues = collectIssues();
  dockerDriver.parseSelector!(raw, issues);
  return issues.issues.map((i) => `${i.path}: ${i.message}${i.expected ? ` (expected ${i.expected})` : ''}`);
}

describe('Docker selector validation (parseSelector)', () => {
  const good: [string, Record<string, unknown>][] = [
    ['empty', {}],
    ['names', { names: ['payments-1', 'a'.repeat(64)] }],
    ['glob', { namePattern: 'payments-*' }],
    ['regex with flags', { namePattern: '/^pay(ments)?-\\d+$/i' }],
    ['labels', { labels: { app: 'payments', 'com.docker.compose.project': 'shop' } }],
    ['image', { image: 'firebreak-test/busybox:latest' }],
    ['compose', { composeProject: 'shop', composeService: 'payments' }],
    ['includeStopped', { includeStopped: false }],
    ['every key at once', { names: ['x'], namePattern: 'x*', labels: {}, image: 'busybox', composeProject: 'p', composeService: 's', includeStopped: true }],
    ['a key left undefined', { image: undefined }],
  ];
  for (const [what, raw] of good) {
    it(`accepts ${what}`, () => {
      assert.deepEqual(issuesOf(raw), []);
      checkDockerSelector(raw);
    });
  }

  const bad: [string, Record<string, unknown>, RegExp[]][] = [
    ['an unknown key, listing the known ones', { lables: { app: 'x' } }, [/^lables: unknown selector key "lables" \(expected one of names, namePattern, labels, image, composeProject, composeService, includeStopped\)$/]],
    ['namespaces', { namespaces: ['shop'] }, [/^namespaces: containers have no namespaces \(expected labels or composeProject\)$/]],
    ['names as a string', { names: 'payments-1' }, [/^names: must be a non-empty list of container names or ids, got "payments-1"/]],
    ['names with a number', { names: ['a', 2] }, [/^names: must be a non-empty list/]],
    ['an empty names list', { names: [] }, [/^names: must be a non-empty list/]],
    ['namePattern as a number', { namePattern: 7 }, [/^namePattern: must be a non-empty string, got 7$/]],
    ['a namePattern regex that does not compile', { namePattern: '/pay(/' }, [/^namePattern: \/pay\(\/ is not a valid regular expression/]],
    ['labels as a list', { labels: ['app=x'] }, [/^labels: must be a mapping of label names to values, got \["app=x"\]$/]],
    ['labels as null', { labels: null }, [/^labels: must be a mapping/]],
    ['a label value that is not a string', { labels: { app: 'x', tier: 1 } }, [/^labels: the value of "tier" must be a string, got 1/]],
    ['image as a list', { image: ['busybox'] }, [/^image: must be a non-empty string/]],
    ['an empty image', { image: '' }, [/^image: must be a non-empty string, got ""$/]],
    ['composeProject as a number', { composeProject: 3 }, [/^composeProject: must be a non-empty string/]],
    ['composeService as a mapping', { composeService: { name: 'x' } }, [/^composeService: must be a non-empty string/]],
    ['includeStopped as a string', { includeStopped: 'yes' }, [/^includeStopped: must be true or false, got "yes"$/]],
    ['several problems, all reported', { namespaces: ['a'], names: 'x', includeStopped: 1, typo: true }, [/^namespaces:/, /^typo: unknown selector key/, /^names:/, /^includeStopped:/]],
  ];
  for (const [what, raw, expected] of bad) {
    it(`reports ${what}`, () => {
      const got = issuesOf(raw);
      assert.equal(got.length, expected.length, got.join('\n'));
      expected.forEach((re, i) => assert.match(got[i]!, re));
    });
  }

  it('reports under the caller\'s path', () => {
    const issues = collectIssues();
    dockerDriver.parseSelector!({ lables: {} }, issues.at('cohort.targets.selector'));
    assert.equal(issues.issues[0]!.path, 'cohort.targets.selector.lables');
  });

  it('is checked again at plan time: a selector that skipped validation is refused', () => {
    assert.throws(
      () => checkDockerSelector({ namespaces: ['shop'], includeStopped: 'yes' } as Record<string, unknown>),
      (err: unknown) => isFirebreakError(err, 'FIREBREAK_E_INVALID') && /namespaces: containers have no namespaces/.test(err.message) && /includeStopped: must be true or false/.test(err.message),
    );
  });
});
