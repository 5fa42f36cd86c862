import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { isFirebreakError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';
import { clearSecrets, registerSecret } from '../../src/log.js';

describe('the fault ledger', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'ledger.jsonl');
  });
  afterEach(() => tmp.cleanup());

  const intent = (id: string) => ({ event: 'intent' as const, id, runId: 'r', fault: 'process', driver: 'core', driverConfig: {}, state: { n: 1 } });

  it('appends one line per event, mode 0600, and tracks what is open', () => {
    const l = Ledger.open(path);
    l.append(intent('a'));
    l.append({ event: 'applied', id: 'a', runId: 'r', state: { n: 2 } });
    l.append(intent('b'));
    l.append({ event: 'reverted', id: 'b', runId: 'r' });
    l.close();
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 4);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const open = openFaultsOf(Ledger.readEntries(path));
    assert.deepEqual(open.map((o) => [o.id, o.applied, o.state]), [['a', true, { n: 2 }]]);
  });

  it('a line cut short by a crash is ended before the next append, so nothing is glued to it', () => {
    const l1 = Ledger.open(path);
    l1.append(intent('a'));
    l1.close();
    appendFileSync(path, '{"v":1,"event":"appl'); // torn write
    const l2 = Ledger.open(path);
    l2.append(intent('b'));
    l2.append({ event: 'applied', id: 'b', runId: 'r' });
    l2.close();
    const ids = openFaultsOf(Ledger.readEntries(path)).map((o) => o.id).sort();
    assert.deepEqual(ids, ['a', 'b']);
  });

  it('an unparsable line in the middle is skipped and reported with its line number; the rest is used', () => {
    writeFileSync(path, `${JSON.stringify({ v: 1, ...intent('a') })}\nnot json\n${JSON.stringify({ v: 1, ...intent('b') })}\n`);
    const { entries, unparsable } = Ledger.readLedger(path);
    assert.deepEqual(entries.map((e) => e.id), ['a', 'b']);
    assert.deepEqual(unparsable, [{ line: 2, text: 'not json' }]);
    const l = Ledger.open(path);
    assert.deepEqual(l.unreported.map((u) => u.line), [2]);
    l.append({ event: 'skipped', id: '-', runId: '-', lines: [2] });
    l.close();
    const again = Ledger.open(path);
    assert.deepEqual(again.unreported, [], 'a line a recover reported is not reported again');
    again.close();
  });

  it('a lock held by a live process refuses; a lock whose process is gone is taken over', () => {
    const held = Ledger.open(path);
    assert.throws(() => Ledger.open(path), (e: unknown) => isFirebreakError(e, 'FIREBREAK_E_LEDGER_LOCKED'));
    held.close();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: 'then' }));
    const l = Ledger.open(path);
    assert.equal(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).pid, process.pid);
    l.close();
  });

  it('secret values never reach a ledger line', () => {
    registerSecret('pa55w0rd-xyz');
    try {
      const l = Ledger.open(path);
      l.append({ ...intent('s'), state: { command: 'login --password pa55w0rd-xyz' } });
      l.close();
      assert.ok(!readFileSync(path, 'utf8').includes('pa55w0rd-xyz'));
    } finally {
      clearSecrets();
    }
  });
});
