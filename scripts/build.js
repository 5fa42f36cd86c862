// `npm run build`: compiles src/ into a clean dist/ and records the inputs it was built from, so
// bin/firebreak.js runs dist/ only while it matches the sources (bin/build-inputs.js).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP, inputsDigest } from '../bin/build-inputs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Taken before compiling: a source edited while tsc runs makes the build stale, never fresh.
const digest = inputsDigest(root);
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', timeout: 300_000 });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, STAMP), digest + '\n');
