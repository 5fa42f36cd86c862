import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { defaultRegistry } from '../../src/drivers/builtin.js';
import type { AttributeDoc, AttributeKind } from '../../src/experiment/attributes.js';
import { collectIssues } from '../../src/experiment/issues.js';
import { withTypeSchemas } from '../../src/experiment/schema.js';
import { ROOT } from '../helpers/cli.js';

/** A value of the wrong shape for each kind: the parser must refuse it, naming the attribute. */
const WRONG: Partial<Record<AttributeKind, unknown>> = {
  string: 42,
  duration: 'soon',
  number: 'lots',
  integer: 'lots',
  fraction: 'most',
  size: 'big',
  enum: 'no-such-value',
  boolean: 'maybe',
  command: 42,
  argv: 42,
  map: 'not-a-map',
  list: 'not-a-list',
  object: 'not-a-mapping',
  url: 'not a url',
  time: 'yesterday',
  selector: 'not-a-selector',
};

const registry = defaultRegistry();
const types = [
  ...registry.faultTypes().map((t) => ({ what: 'fault', def: registry.fault(t)! })),
  ...registry.probeTypes().map((t) => ({ what: 'probe', def: registry.probe(t)! })),
];

function parse(def: (typeof types)[number]['def'], attrs: Record<string, unknown>) {
  const sink = collectIssues();
  const parsed = def.parse(attrs, sink);
  return { parsed, issues: sink.issues };
}

describe('fault and probe attributes: declared once, read exactly as declared', () => {
  const schemaFile = join(ROOT, 'schema', 'experiment.schema.json');
  const published = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const validatorOf = (def: string) => new Ajv2020({ allErrors: true, strict: false }).compile({ $defs: published.$defs, $ref: `#/$defs/${def}` });
  const validateFault = validatorOf('fault');
  const validateProbe = validatorOf('probe');

  it('schema/experiment.schema.json is what the definitions generate (run npm run schema after changing an attribute)', () => {
    const generated = withTypeSchemas(published, registry);
    assert.deepEqual(published, JSON.parse(JSON.stringify(generated)));
  });

  for (const { what, def } of types) {
    describe(`${what} ${def.type}`, () => {
      const validate = what === 'fault' ? validateFault : validateProbe;

      it('its example parses without a problem, and the schema accepts it', () => {
        const { parsed, issues } = parse(def, def.example);
        assert.deepEqual(issues, []);
        assert.ok(parsed !== undefined);
        assert.ok(validate({ type: def.type, ...def.example }), JSON.stringify(validate.errors));
      });

      it('an attribute it does not declare is refused by the parser and the schema', () => {
        const { issues } = parse(def, { ...def.example, notAnAttribute: 1 });
        assert.ok(issues.some((i) => i.path === 'notAnAttribute' && /unknown attribute/.test(i.message)), JSON.stringify(issues));
        assert.equal(validate({ type: def.type, ...def.example, notAnAttribute: 1 }), false);
      });

      for (const d of def.attributes) {
        if (d.required) {
          it(`"${d.name}" is required by the parser and the schema`, () => {
            const { [d.name]: _gone, ...rest } = def.example;
            const { issues } = parse(def, rest);
            assert.ok(issues.some((i) => i.path === d.name || i.path.startsWith(`${d.name}.`)), `no issue names ${d.name}: ${JSON.stringify(issues)}`);
            assert.equal(validate({ type: def.type, ...rest }), false);
          });
        }
        const wrong = WRONG[d.kind];
        if (wrong !== undefined) {
          it(`"${d.name}" (${d.kind}) is read: a wrong value is refused, naming it`, () => {
            const { issues } = parse(def, { ...withoutConflicts(def.example, d), [d.name]: wrong });
            assert.ok(issues.some((i) => i.path === d.name || i.path.startsWith(`${d.name}.`) || i.path.startsWith(`${d.name}[`)), `no issue names ${d.name}: ${JSON.stringify(issues)}`);
            assert.equal(validate({ type: def.type, ...def.example, [d.name]: wrong }), false, 'the schema accepted it');
          });
        }
      }
    });
  }
});

/** Attributes that cannot be given together with `d` (an instant query's `at` and a range). */
function withoutConflicts(example: Record<string, unknown>, d: AttributeDoc): Record<string, unknown> {
  const out = { ...example };
  if (d.name === 'at') delete out.range;
  if (d.name === 'range') delete out.at;
  return out;
}
