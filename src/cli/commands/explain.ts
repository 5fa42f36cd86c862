import { Command } from 'commander';
import { stringify } from 'yaml';
import { defaultRegistry } from '../../drivers/builtin.js';
import type { Registry } from '../../drivers/registry.js';
import { FirebreakError } from '../../errors.js';
import { describeKind, FAULT_ENVELOPE, KIND_HELP, PROBE_ENVELOPE, type AttributeDoc, type AttributeKind } from '../../experiment/attributes.js';
import type { FaultType } from '../../faults/types.js';
import type { ProbeType } from '../../probes/types.js';
import { didYouMean } from '../../util/suggest.js';
import { Output, withOutputFlags, type OutputFlags } from '../output.js';

type Kind = 'faults' | 'probes' | 'drivers';
const KINDS: readonly Kind[] = ['faults', 'probes', 'drivers'];

/** One registered type as `list` and `explain --json` show it. */
interface TypeInfo {
  type: string;
  is: 'fault' | 'probe';
  driver: string;
  summary: string;
  /** Faults: what it acts on. Probes: value (answers once a phase) or signals (golden signals every tick). */
  scope?: 'target' | 'none';
  kind?: 'value' | 'signals';
  attributes: readonly AttributeDoc[];
  example: Record<string, unknown>;
}

export function listCommand(): Command {
  return withOutputFlags(
    new Command('list')
      .description('the fault types, probe types and drivers this firebreak knows, with one line each')
      .argument('[what]', `${KINDS.join(', ')} (default: faults and probes)`),
    'the list as one JSON document',
  )
    .addHelpText('after', `
Examples:
  firebreak list faults
  firebreak list probes --json
  firebreak explain proxy.latency      # one type's attributes, defaults and an example`)
    .action((what: string | undefined, flags: OutputFlags) => {
      if (what !== undefined && !KINDS.includes(what as Kind)) {
        throw new FirebreakError('FIREBREAK_E_USAGE', `firebreak list takes ${KINDS.join(', ')}, got "${what}"${didYouMean(what, KINDS)}`);
      }
      const registry = defaultRegistry();
      const out = new Output(flags);
      const kinds: Kind[] = what ? [what as Kind] : ['faults', 'probes'];
      const doc: Partial<Record<Kind, unknown[]>> = {};
      for (const k of kinds) {
        if (k === 'drivers') {
          const drivers = registry.driverNames().map((name) => {
            const d = registry.driver(name)!;
            return { driver: name, faults: d.faults.map((f) => f.type), probes: d.probes.map((p) => p.type) };
          });
          doc.drivers = drivers;
          out.result('DRIVER   FAULTS, PROBES');
          for (const d of drivers) out.result(`${d.driver.padEnd(8)} ${[...d.faults, ...d.probes].join(', ')}`);
          continue;
        }
        const infos = k === 'faults' ? faultInfos(registry) : probeInfos(registry);
        doc[k] = infos.map(({ attributes, example, ...rest }) => ({ ...rest, attributes: attributes.map((a) => a.name) }));
        if (kinds.length > 1 && k !== kinds[0]) out.result('');
        const width = Math.max(...infos.map((i) => i.type.length)) + 2;
        out.result(`${k === 'faults' ? 'FAULT' : 'PROBE'}`.padEnd(width) + `${k === 'faults' ? 'ACTS ON' : 'KIND   '}  SUMMARY`);
        for (const i of infos) out.result(`${i.type.padEnd(width)}${(k === 'faults' ? (i.scope === 'target' ? 'targets' : 'itself ') : i.kind!.padEnd(7))}  ${i.summary}`);
      }
      out.note('\nfirebreak explain <type> shows its attributes, defaults and an example.');
      out.document(doc);
    });
}

export function explainCommand(): Command {
  return withOutputFlags(
    new Command('explain')
      .description('a fault or probe type: what it does, every attribute with its unit and default, and an example to copy')
      .argument('<type>', 'a fault or probe type (firebreak list), or "fault" / "probe" for the fields every one takes'),
    'the type as one JSON document (attributes with kind, unit, default, summary; the example)',
  )
    .addHelpText('after', `
Examples:
  firebreak explain proxy.latency
  firebreak explain load --json
  firebreak explain fault              # type, name, start, duration: the fields every fault takes`)
    .action((type: string, flags: OutputFlags) => {
      const registry = defaultRegistry();
      const out = new Output(flags);
      if (type === 'fault' || type === 'probe') {
        const envelope = type === 'fault' ? FAULT_ENVELOPE : PROBE_ENVELOPE;
        out.document({ envelope: type, attributes: envelope });
        out.result(`Every ${type} takes these fields beside its own attributes:\n`);
        for (const line of attributeLines(envelope)) out.result(line);
        return;
      }
      const info = [...faultInfos(registry), ...probeInfos(registry)].find((i) => i.type === type);
      if (!info) {
        const known = [...registry.faultTypes(), ...registry.probeTypes()];
        throw new FirebreakError('FIREBREAK_E_UNKNOWN_TYPE', `no fault or probe type "${type}"${didYouMean(type, known)}; firebreak list shows them all`);
      }
      out.document({ ...info, envelope: (info.is === 'fault' ? FAULT_ENVELOPE : PROBE_ENVELOPE).map((a) => a.name) });
      for (const line of explainText(info)) out.result(line);
    });
}

function faultInfos(registry: Registry): TypeInfo[] {
  return registry.faultTypes().map((t) => {
    const f: FaultType<any, any, any> = registry.fault(t)!;
    return { type: f.type, is: 'fault', driver: f.driver, scope: f.scope, summary: f.summary, attributes: f.attributes, example: f.example };
  });
}

function probeInfos(registry: Registry): TypeInfo[] {
  return registry.probeTypes().map((t) => {
    const p: ProbeType = registry.probe(t)!;
    return { type: p.type, is: 'probe', driver: p.driver, kind: p.kind, summary: p.summary, attributes: p.attributes, example: p.example };
  });
}

function explainText(info: TypeInfo): string[] {
  const lines: string[] = [];
  const what =
    info.is === 'fault'
      ? info.scope === 'target'
        ? `fault of the ${info.driver} driver; acts on each ${info.driver} target of the canary cohort (needs cohort.targets with driver: ${info.driver})`
        : `fault of the ${info.driver} driver; acts on what its attributes name`
      : info.kind === 'signals'
        ? `probe of the ${info.driver} driver; golden signals per cohort, every tick`
        : `probe of the ${info.driver} driver; answers a value once per phase`;
  lines.push(`${info.type}: ${what}`, `  ${info.summary}`, '');
  if (info.attributes.length) {
    lines.push('Attributes:');
    lines.push(...attributeLines(info.attributes));
  } else lines.push('Attributes: none of its own.');
  lines.push(`  (and the fields every ${info.is} takes: ${(info.is === 'fault' ? FAULT_ENVELOPE : PROBE_ENVELOPE).map((a) => a.name).join(', ')}; firebreak explain ${info.is})`, '');
  lines.push('Example:');
  const entry = info.is === 'fault' ? { faults: [{ type: info.type, ...info.example }] } : { hypothesis: { probes: [{ name: info.type.replace(/\W+/g, '_'), type: info.type, ...info.example }] } };
  lines.push(...stringify(entry, { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`), '');
  const kinds = [...new Set(collectKinds(info.attributes))].filter((k) => !['string', 'enum', 'any', 'object', 'list'].includes(k));
  if (kinds.length) {
    lines.push('How values are written:');
    for (const k of kinds) lines.push(`  ${k.padEnd(9)} ${KIND_HELP[k]}`);
  }
  return lines;
}

function collectKinds(docs: readonly AttributeDoc[]): AttributeKind[] {
  return docs.flatMap((d) => [d.kind, ...(d.items ? [d.items] : []), ...(d.fields ? collectKinds(d.fields) : [])]);
}

/** `  latency     duration, required` then the summary on the next line, fields indented under their object. */
function attributeLines(docs: readonly AttributeDoc[], indent = '  '): string[] {
  const width = Math.max(...docs.map((d) => d.name.length)) + 2;
  const lines: string[] = [];
  for (const d of docs) {
    const facts = [describeKind(d), d.required ? 'required' : d.default !== undefined ? `default ${d.default}` : 'optional'];
    lines.push(`${indent}${d.name.padEnd(width)}${facts.join(', ')}`);
    lines.push(`${indent}${' '.repeat(width)}${d.summary}`);
    if (d.fields) lines.push(...attributeLines(d.fields, `${indent}${' '.repeat(width)}`));
  }
  return lines;
}
