#!/usr/bin/env node
// In a checkout (sources and tsx present) runs the TypeScript sources, so no build step can go stale;
// an installed package or the container image runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const compiled = join(root, 'dist', 'cli', 'main.js');
let tsx = null;
if (existsSync(source)) {
  try { tsx = await import('tsx/esm/api'); } catch { tsx = null; }
}
if (tsx) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(compiled).href);
}
