import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distIsFresh, inputsDigest, STAMP } from '../../bin/build-inputs.js';
import { ROOT, tempDir } from '../helpers/cli.js';

// Libraries a command must not load unless it uses them: each costs 50 ms to over a second to import.
const HEAVY = ['dockerode', '@kubernetes/client-node', 'prom-client', 'playwright-core', 'luxon', 'cron', 'toxiproxy-node-client', 'pino', 'hdr-histogram-js'];

// Records every module the process resolved (ESM) or required (CommonJS), printed at exit.
const RECORDER = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (u) => seen.add(u));
port1.unref();
register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, n) { const r = await n(s, c); port.postMessage(r.url); return r; }'), { data: { port: port2 }, transferList: [port2] });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  for (const k of Object.keys(require.cache)) seen.add(k);
  process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n');
});
`;

function loadedBy(args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const { dir, cleanup } = tempDir();
  try {
    const recorder = join(dir, 'recorder.mjs');
    writeFileSync(recorder, RECORDER);
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', recorder, join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const line = /\nLOADED (.*)\n/.exec(r.stderr);
    assert.ok(line, `no module list; stderr: ${r.stderr.slice(-2000)}`);
    return { status: r.status, stdout: r.stdout, modules: JSON.parse(line[1]!) as string[] };
  } finally {
    cleanup();
  }
}

function heavyIn(modules: string[]): string[] {
  return HEAVY.filter((name) => modules.some((m) => m.includes(`/node_modules/${name}/`)));
}

describe('cold start: what a command loads', () => {
  it('--version loads no command, no engine and none of the heavy libraries', () => {
    const r = loadedBy(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    assert.deepEqual(heavyIn(r.modules), []);
    for (const m of ['/src/engine/run.ts', '/src/drivers/builtin.ts', '/src/experiment/loader.ts', '/src/cli/commands/']) {
      assert.ok(!r.modules.some((x) => x.includes(m)), `${m} loaded`);
    }
  });

  it('validate loads the loader and the drivers’ definitions, but no client library, engine or proxy server', () => {
    const r = loadedBy(['validate', join(ROOT, 'experiments', 'demo-payments-errors.yaml')]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /: ok/);
    assert.deepEqual(heavyIn(r.modules), []);
    assert.ok(r.modules.some((m) => m.includes('/src/drivers/docker/driver.ts')), 'the Docker driver is registered');
    for (const m of ['/src/engine/run.ts', '/src/proxy/server.ts', '/src/schedule/']) assert.ok(!r.modules.some((x) => x.includes(m)), `${m} loaded`);
  });

  it('a command whose module is not in the lazy list still works (every command is loaded)', () => {
    const r = loadedBy(['history', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /history/);
  });
});

describe('bin/firebreak.js: runs dist/ only when it is fresh', () => {
  // A checkout in miniature: the real bin/, package.json and tsconfig files, a source and a
  // "compiled" entry that say which one ran, and the real node_modules (tsx) by symlink.
  function miniCheckout(dir: string): void {
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(dir, f));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'src', 'cli', 'main.ts'), "const from: string = 'sources';\nconsole.log(from);\n");
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), "console.log('dist');\n");
  }
  const ran = (dir: string): string => spawnSync(process.execPath, [join(dir, 'bin', 'firebreak.js')], { encoding: 'utf8', timeout: 30_000 }).stdout.trim();
  const stamp = (dir: string): void => writeFileSync(join(dir, STAMP), inputsDigest(dir) + '\n');

  it('runs the sources without a build, dist/ once built, and the sources again after any change', () => {
    const { dir, cleanup } = tempDir();
    try {
      miniCheckout(dir);
      assert.equal(ran(dir), 'sources', 'no stamp: never built');
      stamp(dir);
      assert.equal(distIsFresh(dir), true);
      assert.equal(ran(dir), 'dist');
      writeFileSync(join(dir, 'src', 'cli', 'main.ts'), "const from: string = 'sources';\nconsole.log(from); \n");
      assert.equal(ran(dir), 'sources', 'an edited source');
      stamp(dir);
      assert.equal(ran(dir), 'dist');
      // Restored with an old time stamp (an archive, `cp -p`): still not the file dist/ was built from.
      utimesSync(join(dir, 'src', 'cli', 'main.ts'), new Date('2020-01-01'), new Date('2020-01-01'));
      assert.equal(ran(dir), 'sources', 'a source with another time stamp');
      stamp(dir);
      writeFileSync(join(dir, 'src', 'new-module.ts'), 'export const x = 1;\n');
      assert.equal(distIsFresh(dir), false, 'an added source');
      stamp(dir);
      cpSync(join(dir, 'package.json'), join(dir, 'package.json.bak'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'firebreak', version: '9.9.9', type: 'module' }));
      assert.equal(distIsFresh(dir), false, 'a changed package.json');
    } finally {
      cleanup();
    }
  });

  it('an installed package (no sources) runs dist/ without checking anything', () => {
    const { dir, cleanup } = tempDir();
    try {
      miniCheckout(dir);
      spawnSync('rm', ['-rf', join(dir, 'src')]);
      assert.equal(ran(dir), 'dist');
    } finally {
      cleanup();
    }
  });
});
