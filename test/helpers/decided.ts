import type { Status } from '../../src/engine/journal.js';

/**
 * Runs an experiment whose verdict rests on statistics over real traffic, and runs it once more when the
 * evidence did not decide (`inconclusive`): the tool's own advice ("more data would decide"). On this
 * project's shared 2-core machines a stall of the host now and then widens an interval past its margin,
 * or a single stray error leaves a rate undecided; the verdict is then honest, but it is not what the
 * test is about. Only `inconclusive` is run again, and only when the test does not expect it:
 * `held`, `deviated`, `aborted` and `failed` stand as they come, so a false verdict still fails the test
 * at once, and an experiment that can never decide fails twice. The first attempt's reason is printed.
 */
export async function decided<R>(run: () => Promise<R>, statusOf: (r: R) => Status, reasonOf: (r: R) => string, expect?: Status): Promise<R> {
  const first = await run();
  if (statusOf(first) !== 'inconclusive' || expect === 'inconclusive') return first;
  console.log(`      (undecided on the first run, so run once more: ${reasonOf(first).split('\n')[0]!.slice(0, 300)})`);
  return run();
}

/** `decided` for `runExperiment`'s result. */
export function decidedRun<R extends { status: Status; journal: { verdict: { reason: string } } }>(run: () => Promise<R>, expect?: Status): Promise<R> {
  return decided(run, (r) => r.status, (r) => r.journal.verdict.reason, expect);
}
