import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadExperimentFile } from '../../src/experiment/loader.js';
import { formatIssue } from '../../src/experiment/issues.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { runExperiment } from '../../src/engine/run.js';

describe('example experiments and the published schema', () => {
  const dir = join(ROOT, 'experiments');
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !/\.(suite|schedules)\.(ya?ml|json)$/.test(f));
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'experiment.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

  it('there are examples', () => assert.ok(files.length >= 4, files.join(', ')));

  for (const f of files) {
    it(`${f} passes firebreak's validation`, () => {
      const loaded = loadExperimentFile(join(dir, f), { env: {} });
      assert.deepEqual(loaded.issues.map(formatIssue), []);
      assert.ok(loaded.experiment);
    });
    it(`${f} conforms to schema/experiment.schema.json`, () => {
      const data = parse(readFileSync(join(dir, f), 'utf8'));
      const ok = validate(data);
      assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    });
  }

  it('process-maintenance-flag.yaml runs: deviated while the flag is up, and the flag is gone after', async function () {
    this.timeout(30_000);
    const tmp = tempDir();
    try {
      const flag = join(tmp.dir, 'flag');
      const loaded = loadExperimentFile(join(dir, 'process-maintenance-flag.yaml'), { vars: { flag_file: flag } });
      const result = await runExperiment(loaded.experiment!, { ledgerPath: join(tmp.dir, 'ledger.jsonl') });
      assert.equal(result.status, 'deviated', result.journal.verdict.reason);
      assert.deepEqual(result.journal.verdict.evidence.filter((e) => e.outcome === 'fail').map((e) => e.phase), ['during']);
      assert.equal(existsSync(flag), false);
      assert.equal(result.journal.rollbacks[0]?.result.status, 'ok');
    } finally {
      tmp.cleanup();
    }
  });

  it('the schema rejects what firebreak rejects at the envelope', () => {
    assert.equal(validate({ title: 'x', fautls: [] }), false);
    assert.equal(validate({ faults: [] }), false);
    assert.equal(validate({ title: 'x', phases: { during: 'soon' } }), false);
    assert.equal(validate({ title: 'x', cohort: { targets: { driver: 'docker', selector: {}, mode: 'half' } } }), false);
    assert.equal(validate({ title: 'x', target: { kubernetes: { kubeconfg: '~/k' } } }), false);
    assert.equal(validate({ title: 'x', faults: [{ type: 'kubernetes.pod-kill', mode: 'shoot' }] }), false);
    assert.equal(validate({ title: 'x', faults: [{ type: 'kubernetes.scale', workload: 'deployment/web' }] }), false, 'replicas is required');
    assert.equal(validate({ title: 'x', faults: [{ type: 'mesh.delay', virtualService: 'v' }] }), false, 'delay is required');
    assert.equal(validate({ title: 'x', faults: [{ type: 'mesh.abort', virtualService: 'v', match: { header: 'x-user-id' } }] }), false, 'values or cohort');
  });
});

describe('example suites and schedules, and their schemas', () => {
  const dir = join(ROOT, 'experiments');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  for (const [kind, schemaFile] of [['suite', 'suite.schema.json'], ['schedules', 'schedules.schema.json']] as const) {
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', schemaFile), 'utf8')));
    const files = readdirSync(dir).filter((f) => f.endsWith(`.${kind}.yaml`));
    it(`there is a ${kind} example`, () => assert.ok(files.length >= 1));
    for (const f of files) {
      it(`${f} conforms to schema/${schemaFile} and passes firebreak's validation`, async () => {
        const data = parse(readFileSync(join(dir, f), 'utf8'));
        assert.ok(validate(data), JSON.stringify(validate.errors, null, 2));
        const issues = kind === 'suite' ? (await import('../../src/suite/load.js')).loadSuiteFile(join(dir, f)).issues : (await import('../../src/schedule/load.js')).loadSchedulesFile(join(dir, f)).issues;
        assert.deepEqual(issues.map(formatIssue), []);
      });
    }
    it(`schema/${schemaFile} rejects a misspelt field`, () => {
      assert.equal(validate(kind === 'suite' ? { name: 'x', experiments: ['a.yaml'], stopon: 'any' } : { schedules: [{ name: 'x', suite: 's', cron: '* * * * *', timeZone: 'UTC', timezone: 'UTC' }] }), false);
    });
  }
});
