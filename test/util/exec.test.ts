import { strict as assert } from 'node:assert';
import { execCommand } from '../../src/util/exec.js';

describe('running commands', () => {
  it('a command that starts something in the background is done when it exits, not when the background job does', async () => {
    const r = await execCommand('sleep 30 & echo started', { timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.trim(), 'started');
    assert.equal(r.timedOut, false);
    assert.ok(r.durationMs < 3_000, `took ${r.durationMs} ms`);
  });

  it('output written before the exit is all read', async () => {
    const r = await execCommand(['/bin/sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; echo; echo done >&2'], { timeoutMs: 10_000 });
    assert.equal(r.stdout.trim().length, 300_000);
    assert.equal(r.stderr.trim(), 'done');
  });
});
