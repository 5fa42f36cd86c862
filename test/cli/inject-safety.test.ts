import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Ledger } from '../../src/engine/ledger.js';
import { BIN, runCli, tempDir } from '../helpers/cli.js';
import { useDockerTestbed, waitUntil } from '../helpers/docker.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs the CLI on a real pseudo-terminal (util-linux `script`), answering `answer` once the question shows. */
function onTerminal(args: string[], answer: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, FIREBREAK_LOG_LEVEL: 'warn', COLUMNS: '100' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let answered = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit in ${timeoutMs} ms; output: ${output.slice(-1500)}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (!answered && /\[y\/N\]/.test(output)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('inject is safe by default (real engine, real terminal)', function () {
  this.timeout(90_000);
  const bed = useDockerTestbed();
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  async function containers(label: string, n: number): Promise<{ id: string; name: string }[]> {
    const made: { id: string; name: string }[] = [];
    for (let i = 0; i < n; i++) made.push(await bed.run({ name: `${label}-${i}`, cmd: ['sleep', '600'], labels: { app: label } }));
    return made;
  }
  const paused = async (ids: string[]): Promise<number> => (await Promise.all(ids.map(async (id) => (await bed.inspect(id)).State.Paused))).filter(Boolean).length;

  it('an empty selector is refused (exit 64) and nothing is paused or ledgered', async () => {
    const mine = await containers(`fb-empty-${bed.runId}`, 1);
    const ledger = join(tmp.dir, 'l.jsonl');
    const r = await runCli(['--ledger', ledger, 'inject', 'docker.pause', '--duration', '2s'], { cwd: tmp.dir });
    assert.equal(r.code, 64, r.stdout + r.stderr);
    assert.match(r.stderr, /nothing selects them: give --name/);
    assert.match(r.stderr, /--all-containers/);
    assert.equal(await paused(mine.map((c) => c.id)), 0);
    assert.deepEqual(Ledger.readEntries(ledger), []);
  });

  it('--dry-run names every target it would touch and touches none', async () => {
    const label = `fb-dry-${bed.runId}`;
    const mine = await containers(label, 2);
    const ledger = join(tmp.dir, 'l.jsonl');
    const r = await runCli(['--ledger', ledger, 'inject', 'docker.pause', '--label', `app=${label}`, '--duration', '2s', '--dry-run'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    for (const c of mine) assert.ok(r.stdout.includes(c.name), `${c.name} named in:\n${r.stdout}`);
    assert.equal(await paused(mine.map((c) => c.id)), 0);
    assert.deepEqual(Ledger.readEntries(ledger).filter((e) => e.event === 'applied'), []);
  });

  describe('on a terminal, more than three targets are confirmed first', function () {
    before(function () {
      if (!hasScript) {
        console.log('      skipping: util-linux `script` is not installed (no pseudo-terminal to test with)');
        this.skip();
      }
    });

    it('answering no touches nothing', async () => {
      const label = `fb-no-${bed.runId}`;
      const mine = await containers(label, 4);
      const ledger = join(tmp.dir, 'l.jsonl');
      const r = await onTerminal(['--ledger', ledger, 'inject', 'docker.pause', '--label', `app=${label}`, '--duration', '2s'], 'n', 40_000);
      assert.match(r.output, /would act on 4 docker targets/);
      for (const c of mine) assert.ok(r.output.includes(c.name), `${c.name} listed before the question`);
      assert.match(r.output, /not confirmed/);
      assert.equal(await paused(mine.map((c) => c.id)), 0);
      assert.deepEqual(Ledger.readEntries(ledger).filter((e) => e.event === 'intent' || e.event === 'applied'), []);
    });

    it('answering yes applies to all four for the duration and reverts them', async () => {
      const label = `fb-yes-${bed.runId}`;
      const mine = await containers(label, 4);
      const ids = mine.map((c) => c.id);
      const ledger = join(tmp.dir, 'l.jsonl');
      let most = 0;
      const watching = waitUntil(async () => (most = Math.max(most, await paused(ids))) === 4, 30_000, 'four paused');
      const r = await onTerminal(['--ledger', ledger, 'inject', 'docker.pause', '--label', `app=${label}`, '--duration', '2s'], 'y', 60_000);
      await watching;
      assert.equal(r.code, 0, r.output);
      assert.equal(most, 4);
      assert.equal(await paused(ids), 0, 'all unpaused at the end');
      assert.equal(Ledger.readEntries(ledger).filter((e) => e.event === 'reverted').length, 4);
    });

    it('--yes does not ask', async () => {
      const label = `fb-yesflag-${bed.runId}`;
      const mine = await containers(label, 4);
      const ledger = join(tmp.dir, 'l.jsonl');
      const r = await onTerminal(['--ledger', ledger, 'inject', 'docker.pause', '--label', `app=${label}`, '--duration', '1s', '--yes'], 'n', 60_000);
      assert.equal(r.code, 0, r.output);
      assert.doesNotMatch(r.output, /\[y\/N\]/);
      assert.equal(Ledger.readEntries(ledger).filter((e) => e.event === 'reverted').length, 4);
      assert.equal(await paused(mine.map((c) => c.id)), 0);
    });
  });
});
