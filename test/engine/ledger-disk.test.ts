import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { LEDGER_RESERVE_BYTES } from '../../src/engine/ledger-file.js';
import { recoverLedger } from '../../src/engine/recover.js';
import { runExperiment } from '../../src/engine/run.js';
import { RunEvents } from '../../src/engine/events.js';
import { isFirebreakError } from '../../src/errors.js';
import { defineExperiment } from '../../src/experiment/loader.js';
import { formatSummary } from '../../src/report/summary.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { requireSmallFs, type SmallFs } from '../helpers/small-fs.js';

const intent = (id: string) => ({ event: 'intent' as const, id, runId: 'r', fault: 'process', driver: 'core', driverConfig: {}, state: { pad: 'x'.repeat(1500) } });

/**
 * Ends the ledger's last page with a blank line (blank lines are ignored): a file system that is full
 * has no room for a new page, but a line that fits in the page already allocated would still go in.
 */
function padToPage(path: string): void {
  const size = statSync(path).size;
  const rest = (4096 - (size % 4096)) % 4096;
  if (rest) appendFileSync(path, `${' '.repeat(rest - 1)}\n`);
}

describe('the ledger on a full or read-only file system (a real tmpfs)', function () {
  this.timeout(60_000);
  let fs: SmallFs;
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(function () {
    fs = requireSmallFs(this, 256);
    tmp = tempDir();
  });
  afterEach(() => {
    fs?.unmount();
    tmp?.cleanup();
  });

  it('a short write is rolled back and refused: the file keeps only whole lines', () => {
    const path = join(fs.dir, 'ledger.jsonl');
    const l = Ledger.open(path);
    l.append(intent('a'));
    const before = statSync(path).size;
    fs.fill();
    // 'a' used 1.6 KB of its page; 'b' fits half in it: the write is short, then ENOSPC.
    assert.throws(() => l.append({ ...intent('b'), state: { pad: 'y'.repeat(4000) } }), (e: unknown) => isFirebreakError(e, 'FIREBREAK_E_LEDGER_WRITE') && /ENOSPC/.test((e as Error).message));
    l.close();
    assert.equal(statSync(path).size, before, 'nothing of the refused line is left');
    assert.deepEqual(Ledger.readEntries(path).map((e) => e.id), ['a']);
  });

  it('a run keeps a reserve; a full disk spends it on the line being written and refuses new intents', () => {
    const path = join(fs.dir, 'ledger.jsonl');
    const l = Ledger.open(path, { reserve: true });
    assert.equal(statSync(`${path}.reserve`).size, LEDGER_RESERVE_BYTES);
    l.append(intent('a'));
    padToPage(path);
    fs.fill();
    l.append({ event: 'applied', id: 'a', runId: 'r' });
    assert.equal(existsSync(`${path}.reserve`), false, 'reserve released');
    assert.match(l.sealed ?? '', /full/);
    assert.throws(() => l.append(intent('b')), (e: unknown) => isFirebreakError(e, 'FIREBREAK_E_LEDGER_WRITE') && /no new fault is applied/.test((e as Error).message));
    l.append({ event: 'reverted', id: 'a', runId: 'r' });
    l.close();
    assert.deepEqual(openFaultsOf(Ledger.readEntries(path)), []);
  });

  it('a run refuses to start, touching nothing, when there is no room for the reserve', async () => {
    fs.fill();
    const flag = join(tmp.dir, 'flag');
    const e = defineExperiment({ title: 'no room', phases: { before: 0, during: 100, after: 0, tick: 50 }, faults: [{ type: 'process', apply: `touch ${flag}`, revert: `rm -f ${flag}` }] });
    const r = await runExperiment(e, { ledgerPath: join(fs.dir, 'ledger.jsonl') });
    assert.equal(r.status, 'failed');
    assert.equal(r.journal.errors[0]?.code, 'FIREBREAK_E_LEDGER_WRITE');
    assert.equal(existsSync(flag), false);
  });

  it('a disk that fills mid-run: every fault is still reverted, the rollbacks run, and "reverted, not ledgered" is reported; recover closes the entries later', async () => {
    const ledger = join(fs.dir, 'ledger.jsonl');
    const flags = [join(tmp.dir, 'a'), join(tmp.dir, 'b')];
    const rolled = join(tmp.dir, 'rolled-back');
    const e = defineExperiment({
      title: 'disk fills',
      phases: { before: 0, during: 400, after: 0, tick: 100 },
      faults: flags.map((f) => ({ type: 'process', apply: `touch ${f}`, revert: `rm -f ${f}` })),
      rollbacks: [{ type: 'process', command: `touch ${rolled}` }],
    });
    const events = new RunEvents();
    let applied = 0;
    events.onEvent('fault-applied', () => {
      if (++applied < 2) return;
      unlinkSync(`${ledger}.reserve`); // no reserve left either: nothing more fits
      padToPage(ledger);
      fs.fill();
    });
    const r = await runExperiment(e, { ledgerPath: ledger, events });
    assert.deepEqual(flags.map(existsSync), [false, false], 'both faults reverted');
    assert.ok(existsSync(rolled), 'rollback ran');
    assert.equal(r.status, 'failed');
    assert.ok(r.journal.faults.every((f) => f.revertedAt && /ENOSPC/.test(f.ledgerError ?? '')), JSON.stringify(r.journal.faults));
    assert.ok(r.journal.errors.some((x) => x.code === 'FIREBREAK_E_LEDGER_WRITE' && /reverted, not ledgered/.test(x.message)));
    assert.match(formatSummary(r.journal), /reverted, not ledgered/);
    assert.equal(openFaultsOf(Ledger.readEntries(ledger)).length, 2, 'the ledger still holds both');
    unlinkSync(join(fs.dir, 'filler'));
    const rec = await recoverLedger({ ledgerPath: ledger });
    assert.equal(rec.reverted, 2);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
  });

  it('recover on a full disk gets in with the reserve a run left, and goes through every entry even when nothing more can be ledgered', async () => {
    const ledger = join(fs.dir, 'ledger.jsonl');
    const flags = [join(tmp.dir, 'a'), join(tmp.dir, 'b'), join(tmp.dir, 'c')];
    const l = Ledger.open(ledger, { reserve: true });
    flags.forEach((f, i) => {
      writeFileSync(f, '');
      l.append({ event: 'intent', id: `r-${i}-0`, runId: 'r', fault: 'process', driver: 'core', driverConfig: {}, state: { apply: `touch ${f}`, revert: `rm -f ${f}`, timeoutMs: 5000, cwd: tmp.dir, env: {} } });
    });
    l.close();
    fs.fill();
    let seen = 0;
    const r = await recoverLedger({
      ledgerPath: ledger,
      onItem: () => {
        if (++seen > 1) return;
        padToPage(ledger);
        fs.fill('filler-2'); // the space the reserve gave back is gone too
      },
    });
    assert.deepEqual(flags.map(existsSync), [false, false, false], 'every fault reverted');
    assert.deepEqual(r.items.map((i) => [i.ok, Boolean(i.ledgerError)]), [[true, false], [true, true], [true, true]]);
    assert.equal(openFaultsOf(Ledger.readEntries(ledger)).length, 2, 'the two not ledgered stay open for the next recover');
  });

  it('a read-only ledger directory is reported as such, not as a stack trace or a lock held', async () => {
    fs.readOnly();
    const ledger = join(fs.dir, 'ledger.jsonl');
    assert.throws(() => Ledger.open(ledger), (e: unknown) => isFirebreakError(e, 'FIREBREAK_E_LEDGER_UNWRITABLE') && /EROFS/.test((e as Error).message));
    const r = await runCli(['--ledger', ledger, 'recover']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^firebreak: FIREBREAK_E_LEDGER_UNWRITABLE: cannot write next to the ledger .*EROFS/m);
    assert.doesNotMatch(r.stderr, /    at /, 'no stack trace');
    assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(`${fs.dir}/ledger`));
  });
});
