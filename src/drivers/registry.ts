import type { AttributeDoc } from '../experiment/attributes.js';
import { FirebreakError } from '../errors.js';
import type { FaultType } from '../faults/types.js';
import type { ProbeType } from '../probes/types.js';
import type { Driver } from './types.js';

const NAME = /^[a-z][a-z0-9-]*$/;
const TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

/** Drivers by name, and their faults and probes by registered type; metadata is checked when a driver registers. */
export class Registry {
  private readonly drivers = new Map<string, Driver<any, any>>();
  private readonly faults = new Map<string, FaultType<any, any, any>>();
  private readonly probes = new Map<string, ProbeType>();

  constructor(drivers: readonly Driver<any, any>[] = []) {
    for (const d of drivers) this.register(d);
  }

  /** Adds a driver after checking its metadata: a bad driver fails here, not mid-experiment. */
  register(driver: Driver<any, any>): this {
    const problems: string[] = [];
    if (!NAME.test(driver.name ?? '')) problems.push(`name "${driver.name}" must be kebab-case`);
    if (this.drivers.has(driver.name)) problems.push(`driver "${driver.name}" is already registered`);
    if (typeof driver.connect !== 'function') problems.push('connect() is missing');
    if (typeof driver.parseConfig !== 'function') problems.push('parseConfig() is missing');
    for (const f of driver.faults ?? []) {
      if (!TYPE.test(f.type)) problems.push(`fault type "${f.type}" is not a valid name`);
      if (f.driver !== driver.name) problems.push(`fault "${f.type}" says driver "${f.driver}"`);
      if (this.faults.has(f.type)) problems.push(`fault type "${f.type}" is already registered`);
      for (const m of ['parse', 'describe', 'prepare', 'apply', 'revert'] as const) {
        if (typeof f[m] !== 'function') problems.push(`fault "${f.type}" lacks ${m}()`);
      }
      problems.push(...attributeProblems(`fault "${f.type}"`, f.attributes));
    }
    for (const p of driver.probes ?? []) {
      if (!TYPE.test(p.type)) problems.push(`probe type "${p.type}" is not a valid name`);
      if (p.driver !== driver.name) problems.push(`probe "${p.type}" says driver "${p.driver}"`);
      if (this.probes.has(p.type)) problems.push(`probe type "${p.type}" is already registered`);
      problems.push(...attributeProblems(`probe "${p.type}"`, p.attributes));
    }
    if (problems.length) throw new FirebreakError('FIREBREAK_E_INTERNAL', `cannot register driver "${driver.name}": ${problems.join('; ')}`);
    this.drivers.set(driver.name, driver);
    for (const f of driver.faults) this.faults.set(f.type, f);
    for (const p of driver.probes) this.probes.set(p.type, p);
    return this;
  }

  driver(name: string): Driver<any, any> | undefined {
    return this.drivers.get(name);
  }

  fault(type: string): FaultType<any, any, any> | undefined {
    return this.faults.get(type);
  }

  probe(type: string): ProbeType | undefined {
    return this.probes.get(type);
  }

  driverNames(): string[] {
    return [...this.drivers.keys()].sort();
  }

  faultTypes(): string[] {
    return [...this.faults.keys()].sort();
  }

  probeTypes(): string[] {
    return [...this.probes.keys()].sort();
  }
}

/** A type's attribute docs must be a list of distinct names, each with a summary (enums with their values). */
function attributeProblems(what: string, docs: readonly AttributeDoc[] | undefined, prefix = ''): string[] {
  if (!Array.isArray(docs)) return [`${what} declares no attributes (give an empty list when it takes none)`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const d of docs) {
    const name = `${prefix}${d.name}`;
    if (seen.has(d.name)) problems.push(`${what} declares attribute "${name}" twice`);
    seen.add(d.name);
    if (!d.summary) problems.push(`${what} attribute "${name}" has no summary`);
    if ((d.kind === 'enum' || d.items === 'enum') && !d.values?.length) problems.push(`${what} attribute "${name}" lists no values`);
    if (d.fields) problems.push(...attributeProblems(what, d.fields, `${name}.`));
  }
  return problems;
}
