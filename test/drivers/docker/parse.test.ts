import { strict as assert } from 'node:assert';
import { Registry } from '../../../src/drivers/registry.js';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { collectIssues } from '../../../src/experiment/issues.js';
import type { FaultType, Target } from '../../../src/faults/types.js';

const fault = (type: string): FaultType<any, any, any> => dockerDriver.faults.find((f) => f.type === type)!;
const target: Target = { driver: 'docker', id: 'a'.repeat(64), name: 'payments-1', labels: {} };

function parse(type: string, raw: Record<string, unknown>): { attrs: unknown; messages: string } {
  const issues = collectIssues();
  const attrs = fault(type).parse(raw, issues);
  return { attrs, messages: issues.issues.map((i) => `${i.path}: ${i.message}`).join('\n') };
}

describe('Docker fault attributes', () => {
  it('registers every fault and probe under the docker driver', () => {
    const registry = new Registry([dockerDriver]);
    assert.deepEqual(registry.faultTypes(), [
      'docker.cpu', 'docker.exec', 'docker.kill', 'docker.memory', 'docker.partition', 'docker.pause', 'docker.restart', 'docker.stop',
    ]);
    assert.deepEqual(registry.probeTypes(), ['docker.saturation', 'docker.state']);
    assert.ok(dockerDriver.faults.every((f) => f.scope === 'target'));
  });

  const good: [string, Record<string, unknown>, unknown, string][] = [
    ['docker.kill', {}, { signal: 'SIGKILL', recovery: 'firebreak', recoveryTimeoutMs: 60_000 }, 'kill payments-1 with SIGKILL'],
    ['docker.kill', { signal: 'term', recovery: 'orchestrator', recoveryTimeout: '90s' }, { signal: 'SIGTERM', recovery: 'orchestrator', recoveryTimeoutMs: 90_000 }, 'kill payments-1 with SIGTERM (its orchestrator restarts it)'],
    ['docker.stop', {}, { gracePeriodMs: 10_000, recovery: 'firebreak', recoveryTimeoutMs: 60_000 }, 'stop payments-1 (grace 10s)'],
    ['docker.stop', { gracePeriod: '2s' }, { gracePeriodMs: 2000, recovery: 'firebreak', recoveryTimeoutMs: 60_000 }, 'stop payments-1 (grace 2s)'],
    ['docker.pause', {}, {}, 'pause payments-1'],
    ['docker.restart', { gracePeriod: '0s' }, { gracePeriodMs: 0 }, 'restart payments-1 (grace 0ms)'],
    ['docker.partition', { network: 'backend' }, { network: 'backend' }, 'disconnect payments-1 from network backend'],
    ['docker.cpu', { cpus: 0.5 }, { cpus: 0.5 }, 'limit payments-1 to 0.5 CPU'],
    ['docker.cpu', { quota: 20000, period: 50000, shares: 128 }, { quota: 20000, period: 50000, shares: 128 }, 'limit payments-1 to quota 20000µs/50000µs, 128 shares'],
    ['docker.memory', { limit: '64MiB' }, { limit: 64 * 1024 * 1024, swap: 64 * 1024 * 1024 }, 'limit payments-1 to 64MiB memory'],
    ['docker.memory', { limit: '64MiB', swap: -1 }, { limit: 64 * 1024 * 1024, swap: -1 }, 'limit payments-1 to 64MiB memory (swap unlimited)'],
    ['docker.memory', { limit: '64MiB', swap: '96MiB' }, { limit: 64 * 1024 * 1024, swap: 96 * 1024 * 1024 }, 'limit payments-1 to 64MiB memory (+32MiB swap)'],
    ['docker.exec', { command: ['sh', '-c', 'x'] }, { command: ['sh', '-c', 'x'], timeoutMs: 30_000 }, 'run "sh -c x" in payments-1'],
  ];
  for (const [type, raw, expected, description] of good) {
    it(`${type} ${JSON.stringify(raw)}`, () => {
      const { attrs, messages } = parse(type, raw);
      assert.equal(messages, '');
      assert.deepEqual(attrs, expected);
      assert.equal(fault(type).describe(attrs, target), description);
    });
  }

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['docker.kill', { signal: 'SIGNOPE' }, /unknown signal "SIGNOPE"/],
    ['docker.kill', { recovery: 'kubernetes' }, /must be "firebreak" or "orchestrator"/],
    ['docker.kill', { signl: 'KILL' }, /unknown attribute "signl"/],
    ['docker.stop', { gracePeriod: 'a while' }, /not a duration/],
    ['docker.pause', { duration: '1s' }, /unknown attribute "duration"/],
    ['docker.partition', {}, /network: is required/],
    ['docker.cpu', {}, /needs cpus, quota or shares/],
    ['docker.cpu', { cpus: 0.5, quota: 1000 }, /cpus or quota, not both/],
    ['docker.cpu', { quota: 10 }, /quota: must be an integer >= 1000/],
    ['docker.cpu', { period: 5_000_000, cpus: 1 }, /period: must be an integer >= 1000 <= 1000000/],
    ['docker.memory', {}, /limit: is required/],
    ['docker.memory', { limit: '1MiB' }, /at least 6MiB/],
    ['docker.memory', { limit: '64MiB', swap: '32MiB' }, /cannot be below limit/],
    ['docker.memory', { limit: 'lots' }, /not a size/],
    ['docker.exec', { command: 'rm -rf /tmp/x' }, /non-empty array of strings/],
    ['docker.exec', { command: ['true'], revertCommand: [] }, /revertCommand: must be a non-empty array/],
  ];
  for (const [type, raw, message] of bad) {
    it(`${type} refuses ${JSON.stringify(raw)}`, () => {
      const { attrs, messages } = parse(type, raw);
      assert.equal(attrs, undefined);
      assert.match(messages, message);
    });
  }
});
