import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { ROOT, tempDir, waitCli, type CliResult } from '../helpers/cli.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'crash-run.ts');

function crashRun(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd, env: { ...process.env, FIREBREAK_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as ReturnType<typeof spawn> & { out: { stdout: string; stderr: string } };
  child.out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (child.out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (child.out.stderr += d.toString()));
  return waitCli(child, 60_000);
}

describe('the last resort: an error nothing caught still reverts before the process exits', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  for (const mode of ['exception', 'rejection'] as const) {
    const kind = mode === 'exception' ? 'uncaught exception' : 'unhandled rejection';
    it(`an ${kind} mid-run: faults reverted, journal written, exit 4 with a clear message`, async () => {
      const flag = join(tmp.dir, 'flag');
      const ledger = join(tmp.dir, 'ledger.jsonl');
      const journal = join(tmp.dir, 'journal.json');
      const file = join(tmp.dir, 'long.yaml');
      writeFileSync(file, [
        'title: Crashes mid-run',
        'phases: { before: 100ms, during: 60s, after: 5s, tick: 100ms }',
        'faults:',
        `  - { type: process, apply: "touch ${flag}", revert: "rm -f ${flag}" }`,
        '',
      ].join('\n'));
      const r = await crashRun(['--ledger', ledger, 'run', file, '--journal', journal], { CRASH_LEDGER: ledger, CRASH_MODE: mode }, ROOT);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, new RegExp(`^firebreak: FIREBREAK_E_INTERNAL: ${kind}: boom`, 'm'));
      assert.match(r.stderr, /reverted its faults/);
      assert.equal(existsSync(flag), false, 'fault reverted');
      assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
      const j = JSON.parse(readFileSync(journal, 'utf8'));
      assert.equal(j.faults[0].revertedAt !== undefined, true);
      assert.equal(existsSync(`${ledger}.lock`), false, 'lock released');
    });
  }
});
