import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { claimPath, claimWithFile, releaseFileClaim } from '../../src/engine/claims.js';
import { Ledger } from '../../src/engine/ledger.js';
import { isFirebreakError } from '../../src/errors.js';
import type { Target } from '../../src/faults/types.js';
import { currentHolder, processStartTime } from '../../src/util/holder.js';
import { tempDir, waitFor } from '../helpers/cli.js';

const target: Target = { driver: 'docker', id: 'c0ffee'.repeat(10), name: 'web-1', labels: {} };
const claim = (runId: string) => ({ runId, instanceId: `${runId}-0-0`, holder: 'test', expiresAt: new Date(Date.now() + 60_000).toISOString() });
const busy = (e: unknown): boolean => isFirebreakError(e, 'FIREBREAK_E_TARGET_BUSY');

describe('target claims (host-wide files)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let saved: string | undefined;
  beforeEach(() => {
    tmp = tempDir();
    saved = process.env.FIREBREAK_STATE_DIR;
    process.env.FIREBREAK_STATE_DIR = join(tmp.dir, 'state');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.FIREBREAK_STATE_DIR;
    else process.env.FIREBREAK_STATE_DIR = saved;
    tmp.cleanup();
  });

  /** A claim as another process wrote it. */
  const foreign = (identity: object, extra: object = {}): void => {
    const path = claimPath('docker', target.id);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify({ v: 1, ...claim('other'), driver: 'docker', target: { id: target.id, name: target.name }, identity, ledger: join(tmp.dir, 'other.jsonl'), ...extra }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
  };

  it('lives in FIREBREAK_STATE_DIR, keyed by driver and target id, and only its run releases it', () => {
    claimWithFile('docker', target, claim('r1'), join(tmp.dir, 'l.jsonl'));
    const path = claimPath('docker', target.id);
    assert.ok(path.startsWith(join(tmp.dir, 'state', 'claims', 'docker')));
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).runId, 'r1');
    assert.equal(releaseFileClaim('docker', target.id, 'r2'), false);
    assert.ok(existsSync(path), 'another run\'s claim is left alone');
    assert.equal(releaseFileClaim('docker', target.id, 'r1'), true);
    assert.equal(existsSync(path), false);
  });

  it('a live holder refuses the claim; once it is gone, a fault it left open still refuses, naming the ledger to recover', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      await waitFor('the sleeper', () => processStartTime(sleeper.pid!) !== undefined);
      foreign({ ...currentHolder(), pid: sleeper.pid, startTime: processStartTime(sleeper.pid!) });
      assert.throws(() => claimWithFile('docker', target, claim('mine'), join(tmp.dir, 'l.jsonl')), (e: unknown) => busy(e) && /claimed by run other \(process \d+/.test((e as Error).message));
    } finally {
      sleeper.kill('SIGKILL');
    }
    const ledger = Ledger.open(join(tmp.dir, 'other.jsonl'));
    ledger.append({ event: 'intent', id: 'other-0-0', runId: 'other', fault: 'docker.cpu', driver: 'docker', driverConfig: {}, target, state: {} });
    await new Promise((r) => sleeper.once('exit', r));
    assert.throws(() => claimWithFile('docker', target, claim('mine'), join(tmp.dir, 'l.jsonl')), (e: unknown) => busy(e) && /ended without reverting it: run `firebreak --ledger .*other\.jsonl recover` first/.test((e as Error).message));
    ledger.append({ event: 'reverted', id: 'other-0-0', runId: 'other' });
    ledger.close();
    claimWithFile('docker', target, claim('mine'), join(tmp.dir, 'l.jsonl'));
    assert.equal(JSON.parse(readFileSync(claimPath('docker', target.id), 'utf8')).runId, 'mine');
  });

  it('a holder that cannot be checked holds until the claim expires', () => {
    const elsewhere = { pid: 7, host: 'elsewhere', bootId: 'ffffffff-0000-0000-0000-000000000000', startTime: 1, pidNamespace: '1', since: 'then' };
    foreign(elsewhere);
    assert.throws(() => claimWithFile('docker', target, claim('mine'), join(tmp.dir, 'l.jsonl')), (e: unknown) => busy(e) && /cannot be checked from here, until/.test((e as Error).message));
    foreign(elsewhere, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    claimWithFile('docker', target, claim('mine'), join(tmp.dir, 'l.jsonl'));
  });
});
