import type { ToxicDefinition } from './types.js';

const registry = new Map<string, ToxicDefinition<any>>();

/** Adds a TCP toxic type under its stable name; a second registration of the same name is a bug. */
export function registerToxic(def: ToxicDefinition<any>): void {
  if (registry.has(def.type)) throw new Error(`toxic type "${def.type}" is already registered`);
  registry.set(def.type, def);
}

export function toxicDefinition(type: string): ToxicDefinition<any> | undefined {
  return registry.get(type);
}

export function toxicTypes(): string[] {
  return [...registry.keys()].sort();
}
