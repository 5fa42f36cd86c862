/**
 * What a fault's or probe's attributes are, written once beside the code that parses them. The
 * validator's "unknown attribute" check, `firebreak list` and `explain`, `inject --help` and the JSON
 * Schema editors use are all derived from these, and a test proves each type's parser reads exactly
 * the attributes it declares (so none of them can drift from the others).
 */

/** How a value is written in an experiment file. */
export type AttributeKind =
  | 'string'
  | 'duration'
  | 'number'
  | 'integer'
  | 'fraction'
  | 'size'
  | 'enum'
  | 'boolean'
  | 'command'
  | 'argv'
  | 'map'
  | 'list'
  | 'object'
  | 'url'
  | 'time'
  | 'selector'
  | 'any';

export interface AttributeDoc {
  name: string;
  kind: AttributeKind;
  /** One sentence: what it does, in the user's terms. */
  summary: string;
  required?: boolean;
  /** The value taken when it is left out, as a user would write it (`30s`, `SIGKILL`, `1000`). */
  default?: string | number | boolean;
  /** The unit of a number (`KB/s`, `bytes`, `requests/s`); durations and sizes carry their own. */
  unit?: string;
  /** `enum`: the accepted values. */
  values?: readonly string[];
  min?: number;
  max?: number;
  /** `object`: its fields; `list`: the fields of each item when items are mappings. */
  fields?: readonly AttributeDoc[];
  /** `list`: the kind of each item when items are plain values. */
  items?: AttributeKind;
}

/** The envelope every fault carries beside its own attributes (read by the engine, not the type). */
export const FAULT_ENVELOPE: readonly AttributeDoc[] = [
  { name: 'type', kind: 'string', required: true, summary: 'The fault type, e.g. proxy.latency (see firebreak list faults).' },
  { name: 'name', kind: 'string', summary: 'A name for plans, journals and reports.', default: '<type>#<position>' },
  { name: 'start', kind: 'duration', summary: 'When, after the during phase begins, the fault is applied.', default: '0s' },
  { name: 'duration', kind: 'duration', summary: 'How long it stays; left out, it stays until the during phase ends.' },
];

/** The envelope every probe carries beside its own attributes. */
export const PROBE_ENVELOPE: readonly AttributeDoc[] = [
  { name: 'type', kind: 'string', summary: 'The probe type, e.g. load (see firebreak list probes); or use a definition.' },
  { name: 'use', kind: 'string', summary: 'Take the definition from probes/<use>.yaml; attributes given here override it.' },
  { name: 'name', kind: 'string', summary: 'The name tolerances refer to.', default: 'use, or probe-<position>' },
  { name: 'phases', kind: 'list', items: 'enum', values: ['before', 'during', 'after'], summary: 'The phases it measures in.', default: 'before, during, after' },
];

export function attributeNames(docs: readonly AttributeDoc[]): string[] {
  return docs.map((d) => d.name);
}

/** `duration, required` / `enum upstream|downstream = downstream` / `number KB/s >= 1`: the short type line. */
export function describeKind(d: AttributeDoc): string {
  const kind = d.kind === 'enum' ? (d.values ?? []).join('|') : d.kind === 'list' && d.items ? `list of ${d.items === 'enum' ? (d.values ?? []).join('|') : d.items}` : d.kind;
  const range = [d.min !== undefined ? `>= ${d.min}` : '', d.max !== undefined ? `<= ${d.max}` : ''].filter(Boolean).join(' ');
  return [kind, d.unit ?? '', range].filter(Boolean).join(' ');
}

/** How each kind is written, for `explain`. */
export const KIND_HELP: Record<AttributeKind, string> = {
  string: 'text',
  duration: 'a duration with its unit: 250ms, 30s, 2m, 1h30m (a bare number is milliseconds)',
  number: 'a number',
  integer: 'a whole number',
  fraction: 'a fraction 0..1 or a percentage: 0.5, 50%',
  size: 'a byte size: 512, 64KB, 1MiB, 2GiB',
  enum: 'one of the listed words',
  boolean: 'true or false',
  command: 'a shell command string, or an argv list',
  argv: 'an argv list: ["sh", "-c", "..."]',
  map: 'a mapping of names to strings',
  list: 'a list',
  object: 'a mapping with the listed fields',
  url: 'an http:// or https:// URL',
  time: 'unix seconds, an RFC 3339 time, now or now-5m',
  selector: 'a target selector: names, namePattern, labels, image, ...',
  any: 'any value',
};
