#!/usr/bin/env node
// Runs the compiled dist/ when it was built from exactly the sources present (always, in an installed
// package or the container image, which ship no sources); in a checkout whose sources changed since
// the last build, runs the TypeScript sources through tsx instead, so a stale build never runs.
// `npm ci` builds dist/ (the `prepare` script); `npm run build` brings it up to date.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const compiled = join(root, 'dist', 'cli', 'main.js');

async function entry() {
  if (!existsSync(source)) return compiled;
  const { distIsFresh } = await import('./build-inputs.js');
  if (distIsFresh(root)) return compiled;
  try {
    (await import('tsx/esm/api')).register();
    return source;
  } catch {
    process.stderr.write('firebreak: dist/ is older than the sources and tsx is not installed: run `npm run build`\n');
    process.exit(64);
  }
}

await import(pathToFileURL(await entry()).href);
