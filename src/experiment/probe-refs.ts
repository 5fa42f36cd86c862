import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSource } from './document.js';
import type { IssueSink } from './issues.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `use: <name>` looks for `probes/<name>.yaml`, nearest first. */
export function probeSearchPath(baseDir: string): string[] {
  return [...new Set([join(baseDir, 'probes'), join(baseDir, '..', 'probes'), join(process.cwd(), 'probes'), join(PACKAGE_ROOT, 'probes')])];
}

/** Loads a reusable probe definition by name; its attributes sit at top level beside name and type. */
export function loadProbeDefinition(name: string, baseDir: string, issues: IssueSink): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_][\w.-]*$/.test(name)) {
    issues.add('use', `"${name}" is not a probe definition name`, 'a file name under probes/ without extension');
    return undefined;
  }
  const dirs = probeSearchPath(baseDir);
  for (const dir of dirs) {
    for (const ext of ['.yaml', '.yml', '.json']) {
      const file = join(dir, name + ext);
      if (!existsSync(file)) continue;
      const doc = parseSource(readFileSync(file, 'utf8'), file);
      if (doc.syntaxIssues.length) {
        for (const i of doc.syntaxIssues) issues.add('use', `${file}:${i.line}:${i.column}: ${i.message}`);
        return undefined;
      }
      const data = doc.data as Record<string, unknown> | null;
      if (!data || typeof data !== 'object' || Array.isArray(data) || typeof data.type !== 'string') {
        issues.add('use', `${file} must be a mapping with a "type"`);
        return undefined;
      }
      const { name: _name, description: _d, ...rest } = data;
      return rest;
    }
  }
  issues.add('use', `no probe definition "${name}"`, `a file ${name}.yaml in ${dirs.join(', ')}`);
  return undefined;
}
