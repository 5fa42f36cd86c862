import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../src/engine/ledger.js';
import { recoverLedger } from '../../src/engine/recover.js';
import { isFirebreakError } from '../../src/errors.js';
import { currentHolder, processStartTime } from '../../src/util/holder.js';
import { ROOT, tempDir, waitFor } from '../helpers/cli.js';

const locked = (e: unknown): boolean => isFirebreakError(e, 'FIREBREAK_E_LEDGER_LOCKED');

/** A process that holds `ledger` (a real Ledger.open) until killed; optionally in a new pid namespace, as in a container. */
function holder(ledger: string, newPidNamespace: boolean): ChildProcess {
  const script = `import { Ledger } from ${JSON.stringify(join(ROOT, 'src/engine/ledger.ts'))}; Ledger.open(${JSON.stringify(ledger)}); console.log('held'); setInterval(() => {}, 1000);`;
  const argv = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  return newPidNamespace
    ? spawn('unshare', ['--pid', '--fork', '--kill-child', ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('the ledger lock: provably held or provably stale', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  let lock: string;
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'ledger.jsonl');
    lock = `${path}.lock`;
  });
  afterEach(() => tmp.cleanup());

  const me = currentHolder();
  const writeLock = (content: unknown, ageMs = 0): void => {
    writeFileSync(lock, typeof content === 'string' ? content : JSON.stringify(content));
    const t = new Date(Date.now() - ageMs);
    utimesSync(lock, t, t);
  };
  const takesOver = (): void => {
    const l = Ledger.open(path);
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
    l.close();
    assert.equal(existsSync(lock), false);
  };

  it('records who holds it beyond a pid: boot id, process start time, pid namespace, host', () => {
    const l = Ledger.open(path);
    const h = JSON.parse(readFileSync(lock, 'utf8'));
    l.close();
    assert.equal(h.pid, process.pid);
    assert.equal(h.host, hostname());
    assert.equal(h.bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    assert.equal(h.startTime, processStartTime('self'));
    assert.match(h.pidNamespace, /^\d+$/);
  });

  it('a reused pid (same pid, another start time) is taken over; the right start time holds', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      await waitFor('the sleeper', () => processStartTime(sleeper.pid!) !== undefined);
      const start = processStartTime(sleeper.pid!)!;
      writeLock({ ...me, pid: sleeper.pid, startTime: start });
      assert.throws(() => Ledger.open(path), (e: unknown) => locked(e) && new RegExp(`process ${sleeper.pid}`).test((e as Error).message));
      writeLock({ ...me, pid: sleeper.pid, startTime: start - 1 });
      takesOver();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('a lock from an earlier boot of this machine is taken over at once', () => {
    writeLock({ ...me, pid: process.pid, bootId: '00000000-0000-0000-0000-000000000000' });
    if (!me.machineId) return assert.throws(() => Ledger.open(path), locked); // no machine id: cannot tell a reboot from another host
    takesOver();
  });

  it('a lock left by a killed container ({pid: 1} in a pid namespace that no longer exists) is taken over', () => {
    writeLock({ ...me, pid: 1, host: 'old-container-3f2a', pidNamespace: '4026599999', startTime: 4242, container: '3f2a1b0c9d8e' });
    takesOver();
  });

  it('a holder in another pid namespace (a container) is held while it runs and taken over once it is killed', async () => {
    const child = holder(path, true);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => (d.toString().includes('held') ? resolve() : undefined));
        child.once('exit', () => reject(new Error('the holder exited')));
      });
      const h = JSON.parse(readFileSync(lock, 'utf8'));
      assert.equal(h.pid, 1, 'pid 1 of its own namespace, as in a container');
      assert.notEqual(h.pidNamespace, me.pidNamespace);
      assert.throws(() => Ledger.open(path), (e: unknown) => locked(e) && /in use by process 1 /.test((e as Error).message));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await waitFor('the namespace to go', () => {
        try {
          Ledger.open(path).close();
          return true;
        } catch {
          return false;
        }
      }, 5_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a holder that cannot be checked (another host) holds while its lease lasts, then is taken over; recover waits for it', async () => {
    const other = { pid: 77, host: 'elsewhere', bootId: 'ffffffff-0000-0000-0000-000000000000', startTime: 5, pidNamespace: '1', since: 'then' };
    writeLock(other, 1_000);
    assert.throws(() => Ledger.open(path), (e: unknown) => locked(e) && /cannot be checked from here; its lease runs out/.test((e as Error).message));
    writeLock(other, 31_000);
    takesOver();
    const old = process.env.FIREBREAK_LOCK_LEASE_MS;
    process.env.FIREBREAK_LOCK_LEASE_MS = '1500';
    try {
      writeLock(other, 0);
      const started = Date.now();
      const r = await recoverLedger({ ledgerPath: path });
      assert.equal(r.found, 0);
      assert.ok(Date.now() - started >= 1000, 'waited for the lease');
    } finally {
      if (old === undefined) delete process.env.FIREBREAK_LOCK_LEASE_MS;
      else process.env.FIREBREAK_LOCK_LEASE_MS = old;
    }
  });

  it('the holder keeps its lease with a heartbeat', async () => {
    const old = process.env.FIREBREAK_LOCK_LEASE_MS;
    process.env.FIREBREAK_LOCK_LEASE_MS = '1200';
    try {
      const l = Ledger.open(path);
      const t = new Date(Date.now() - 60_000);
      utimesSync(lock, t, t);
      await new Promise((r) => setTimeout(r, 600));
      const age = Date.now() - statSync(lock).mtimeMs;
      l.close();
      assert.ok(age < 500, `heartbeat ${age} ms ago`);
    } finally {
      if (old === undefined) delete process.env.FIREBREAK_LOCK_LEASE_MS;
      else process.env.FIREBREAK_LOCK_LEASE_MS = old;
    }
  });

  it('a freshly created, still empty lock is not taken over; an old unreadable one is', () => {
    writeLock('', 0);
    assert.throws(() => Ledger.open(path), (e: unknown) => locked(e) && /being written/.test((e as Error).message));
    writeLock('{"pid": 12', 60_000);
    takesOver();
  });

  it('a lock that is no longer ours is never deleted', () => {
    const l = Ledger.open(path);
    const theirs = JSON.stringify({ pid: 99999, host: 'someone-else', since: 'now' });
    writeFileSync(`${lock}.x`, theirs);
    spawnSync('mv', [`${lock}.x`, lock]);
    l.close();
    assert.equal(readFileSync(lock, 'utf8'), theirs);
  });
});
