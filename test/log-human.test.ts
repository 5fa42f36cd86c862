import { strict as assert } from 'node:assert';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearSecrets, createLogger, registerSecret } from '../src/log.js';
import { formatHumanLine } from '../src/log-human.js';
import { tempDir } from './helpers/cli.js';

describe('log formats', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => {
    tmp.cleanup();
    clearSecrets();
  });

  /** Logs through a real file descriptor, as the CLI does to stderr, and returns what was written. */
  function logTo(format: 'json' | 'human', work: (log: ReturnType<typeof createLogger>) => void, opts = { color: false, unicode: true }): string {
    const file = join(tmp.dir, `${format}.log`);
    const fd = openSync(file, 'w');
    try {
      work(createLogger({ level: 'trace', destination: fd, format, human: opts }));
    } finally {
      closeSync(fd);
    }
    return readFileSync(file, 'utf8');
  }

  it('human: one compact line per record, time, level, message, key=value', () => {
    const text = logTo('human', (log) => {
      log.child({ runId: 'ab12' }).info({ url: 'http://127.0.0.1:8474', proxies: 2, note: 'two words' }, 'proxy API answered');
      log.debug({ err: new Error('boom', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 }) }) }, 'call failed');
    });
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  proxy API answered runId=ab12 url=http:\/\/127\.0\.0\.1:8474 proxies=2 note="two words"$/);
    assert.match(lines[1]!, /^\d\d:\d\d:\d\d\.\d{3} DEBUG call failed err="boom: ECONNREFUSED 127\.0\.0\.1:9 \(connection refused\)"$/);
    assert.doesNotMatch(text, /[{}]|"level"|pid=/);
  });

  it('json: pino lines, errors with their causes in one message', () => {
    const text = logTo('json', (log) => log.warn({ err: new Error('outer', { cause: new Error('inner') }) }, 'failed'));
    const record = JSON.parse(text);
    assert.equal(record.level, 'warn');
    assert.equal(record.msg, 'failed');
    assert.equal(record.err.message, 'outer: inner');
  });

  it('secrets are scrubbed in both formats, in messages, fields and errors', () => {
    registerSecret('hunter2-secret', { name: 'token' });
    for (const format of ['json', 'human'] as const) {
      const text = logTo(format, (log) => {
        log.info({ header: 'Bearer hunter2-secret' }, 'calling with hunter2-secret');
        log.error({ err: new Error('login hunter2-secret refused', { cause: new Error('token hunter2-secret') }) }, 'failed');
      });
      assert.ok(!text.includes('hunter2-secret'), `${format}: ${text}`);
      assert.match(text, /Bearer \*\*\*/, format);
      assert.match(text, /login \*\*\* refused/, format);
    }
  });

  it('colour only when asked; ASCII when Unicode cannot be shown', () => {
    const line = JSON.stringify({ level: 'error', time: Date.now(), msg: 'latency 300ms ±10ms' });
    assert.match(formatHumanLine(line, { color: true, unicode: true }), /\x1b\[31mERROR\x1b\[0m/);
    const plain = formatHumanLine(line, { color: false, unicode: false });
    assert.doesNotMatch(plain, /\x1b/);
    assert.match(plain, /ERROR latency 300ms \+\/-10ms\n$/);
  });
});
