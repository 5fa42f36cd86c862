import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where both proxy benchmarks write, each merging its own section in. */
export const PROXY_RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'proxy.json');

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Replaces one section of bench/results/proxy.json, keeping the other benchmark's. */
export function writeSection(name: string, section: unknown): void {
  mkdirSync(dirname(PROXY_RESULTS), { recursive: true });
  const current = existsSync(PROXY_RESULTS) ? (JSON.parse(readFileSync(PROXY_RESULTS, 'utf8')) as Record<string, unknown>) : {};
  current[name] = section;
  writeFileSync(PROXY_RESULTS, `${JSON.stringify(current, null, 2)}\n`);
}
