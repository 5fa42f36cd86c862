import type { Registry } from '../drivers/registry.js';
import type { FaultType } from '../faults/types.js';
import type { ProbeType } from '../probes/types.js';
import { FAULT_ENVELOPE, PROBE_ENVELOPE, type AttributeDoc, type AttributeKind } from './attributes.js';

type Schema = Record<string, unknown>;

/**
 * The published experiment schema with every fault's and probe's attributes filled in from their
 * definitions: `$defs.fault` and `$defs.probe` are replaced, everything else (the envelope, written
 * by hand) is kept. `npm run schema` writes it; a test fails when the file and the definitions differ.
 */
export function withTypeSchemas(base: Schema, registry: Registry): Schema {
  const defs = { ...(base.$defs as Schema) };
  const faults = registry.faultTypes().map((t) => registry.fault(t)!);
  const probes = registry.probeTypes().map((t) => registry.probe(t)!);
  defs.variable = { type: 'string', pattern: '^\\$\\{[^}]+\\}$', description: 'A ${name} reference, resolved from --var, --var-file, configuration or the environment.' };
  defs.fraction = {
    oneOf: [
      { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$' },
      { type: 'number', minimum: 0, maximum: 100 },
    ],
    description: 'A fraction 0..1 or a percentage: 0.5, 50%.',
  };
  defs.size = {
    oneOf: [
      { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG][iI]?[bB])?\\s*$' },
      { type: 'integer', minimum: 0 },
    ],
    description: 'A byte size: 512, 64KB, 1MiB.',
  };
  defs.fault = typeSchema(
    'A fault: its type, when it starts and how long it stays, and its own attributes.',
    FAULT_ENVELOPE,
    faults,
  );
  defs.probe = {
    ...typeSchema('A probe: `type` with its attributes inline, or `use` to take a definition from probes/<name>.yaml (inline attributes override it).', PROBE_ENVELOPE, probes, false),
    anyOf: [{ required: ['type'] }, { required: ['use'] }],
  };
  return { ...base, $defs: defs };
}

function typeSchema(description: string, envelope: readonly AttributeDoc[], types: readonly (FaultType<any, any, any> | ProbeType)[], typeRequired = true): Schema {
  const envelopeProps = Object.fromEntries(envelope.map((d) => [d.name, d.name === 'type' ? typeProperty(d, types) : describe(d, attributeSchema(d))]));
  if ('phases' in envelopeProps) envelopeProps.phases = describe(envelope.find((d) => d.name === 'phases')!, { $ref: '#/$defs/phases' });
  if ('name' in envelopeProps && !typeRequired) envelopeProps.name = { ...envelopeProps.name as Schema, pattern: '^[A-Za-z_][\\w-]*$' };
  if (!typeRequired) envelopeProps.description = { type: 'string', description: 'What it measures, for readers.' };
  return {
    type: 'object',
    description,
    ...(typeRequired ? { required: ['type'] } : {}),
    properties: envelopeProps,
    allOf: types.map((t) => ({
      if: { properties: { type: { const: t.type } }, required: ['type'] },
      then: {
        description: t.summary,
        // The envelope is checked once, above; listed here (as true) so additionalProperties allows it.
        properties: { ...Object.fromEntries(Object.keys(envelopeProps).map((k) => [k, true])), ...Object.fromEntries(t.attributes.map((d) => [d.name, describe(d, attributeSchema(d))])) },
        ...requiredOf(t.attributes),
        additionalProperties: false,
      },
    })),
  };
}

function typeProperty(d: AttributeDoc, types: readonly { type: string }[]): Schema {
  return { description: d.summary, enum: types.map((t) => t.type) };
}

function requiredOf(docs: readonly AttributeDoc[]): Schema {
  const required = docs.filter((d) => d.required).map((d) => d.name);
  return required.length ? { required } : {};
}

function describe(d: AttributeDoc, schema: Schema): Schema {
  const unit = d.unit ? ` In ${d.unit}.` : '';
  const dflt = d.default !== undefined ? ` Default: ${d.default}.` : '';
  return { ...schema, description: `${d.summary}${unit}${dflt}` };
}

/** The JSON Schema of one attribute. Typed values may also be a ${variable}, resolved before validation. */
export function attributeSchema(d: Pick<AttributeDoc, 'kind' | 'values' | 'min' | 'max' | 'fields' | 'items'>): Schema {
  const typed = kindSchema(d);
  return d.kind === 'string' || d.kind === 'any' || d.kind === 'url' || d.kind === 'command' ? typed : { anyOf: [typed, { $ref: '#/$defs/variable' }] };
}

function kindSchema(d: Pick<AttributeDoc, 'kind' | 'values' | 'min' | 'max' | 'fields' | 'items'>): Schema {
  const range = { ...(d.min !== undefined ? { minimum: d.min } : {}), ...(d.max !== undefined ? { maximum: d.max } : {}) };
  const kinds: Record<AttributeKind, () => Schema> = {
    string: () => ({ type: 'string', minLength: 1 }),
    duration: () => ({ $ref: '#/$defs/duration' }),
    number: () => ({ type: 'number', ...range }),
    integer: () => ({ type: 'integer', ...range }),
    fraction: () => ({ $ref: '#/$defs/fraction' }),
    size: () => ({ $ref: '#/$defs/size' }),
    enum: () => ({ enum: [...(d.values ?? [])] }),
    boolean: () => ({ type: 'boolean' }),
    command: () => ({ oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }] }),
    argv: () => ({ type: 'array', minItems: 1, items: { type: 'string' } }),
    map: () => ({ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } }),
    list: () => ({
      type: 'array',
      minItems: 1,
      items: d.fields ? objectSchema(d.fields) : d.items ? attributeSchema({ kind: d.items, ...(d.values ? { values: d.values } : {}) }) : {},
    }),
    object: () => (d.fields ? objectSchema(d.fields) : { type: 'object' }),
    url: () => ({ type: 'string', pattern: '^(https?://|\\$\\{)' }),
    time: () => ({ oneOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: '^\\s*(now(\\s*[-+]\\s*\\S.*)?|\\d+(\\.\\d+)?|\\d{4}-\\d{2}-\\d{2}T\\S+)\\s*$' }] }),
    selector: () => ({ $ref: '#/$defs/selector' }),
    any: () => ({}),
  };
  return kinds[d.kind]();
}

function objectSchema(fields: readonly AttributeDoc[]): Schema {
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, describe(f, attributeSchema(f))])),
    ...requiredOf(fields),
    additionalProperties: false,
  };
}
