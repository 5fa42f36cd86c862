import assert from 'node:assert/strict';
import { parseCohortSettings } from '../../../src/proxy/http/handler.js';

describe('proxy/http parseCohortSettings', () => {
  const ok: [unknown, object][] = [
    [{ mode: 'http', key: 'header:X-User', canary: 0.05, control: 0.05, salt: 's' }, { key: 'header:X-User', canary: 0.05, control: 0.05 }],
    [{ key: 'cookie:sid', canary: 0.1, salt: 's' }, { mode: 'http', canary: 0.1, control: 0.1 }],
    [{ key: 'client-address', canary: '5%', control: '10%', salt: 's' }, { canary: 0.05, control: 0.1 }],
    [{ key: 'client', canary: 0.5, control: 0.5, salt: 's' }, { canary: 0.5, control: 0.5 }],
    [{ key: 'header:x', canary: 0, control: 0, salt: 's' }, { canary: 0, control: 0 }],
  ];
  for (const [raw, expected] of ok) {
    it(`accepts ${JSON.stringify(raw)}`, () => {
      const { value, error } = parseCohortSettings(raw);
      assert.equal(error, undefined);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual((value as unknown as Record<string, unknown>)[k], v, k);
    });
  }

  const bad: [unknown, RegExp][] = [
    [null, /must be an object/],
    [[], /must be an object/],
    [{ mode: 'tcp', key: 'header:x', canary: 0.1, salt: 's' }, /mode/],
    [{ key: 'query:x', canary: 0.1, salt: 's' }, /cohort\.key/],
    [{ key: 'header:x', salt: 's' }, /cohort\.canary/],
    [{ key: 'header:x', canary: 5, salt: 's' }, /cohort\.canary/],
    [{ key: 'header:x', canary: -0.1, salt: 's' }, /cohort\.canary/],
    [{ key: 'header:x', canary: 0.1, control: '200%', salt: 's' }, /cohort\.control/],
    [{ key: 'header:x', canary: 0.6, control: 0.5, salt: 's' }, /must not exceed 1/],
    [{ key: 'header:x', canary: 0.1 }, /salt/],
    [{ key: 'header:x', canary: 0.1, salt: '' }, /salt/],
    [{ key: 'header:x', canary: 0.1, salt: 's', extra: 1 }, /unknown field/],
  ];
  for (const [raw, message] of bad) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      const { value, error } = parseCohortSettings(raw);
      assert.equal(value, undefined);
      assert.match(error ?? '', message);
    });
  }
});
