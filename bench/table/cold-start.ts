import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { distIsFresh } from '../../bin/build-inputs.js';
import { median, round, type BenchOptions, type Row } from './common.js';

const ROOT = join(import.meta.dirname, '..', '..');

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

/**
 * Whole-process wall time of the CLI against bare Node (`node -e ''`), run alternately so a change in
 * the machine's load hits both alike; medians. The checkout's bin runs the compiled dist/ (built when
 * stale), as an installed package and the image do.
 */
export async function coldStartRows(opts: BenchOptions): Promise<Row[]> {
  if (!distIsFresh(ROOT)) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const runs = opts.quick ? 7 : 15;
  const bin = join(ROOT, 'bin', 'firebreak.js');
  const file = join(ROOT, 'experiments', 'demo-payments-errors.yaml');
  const cases: [string, string[]][] = [
    ['--version', [bin, '--version']],
    ['validate (one file)', [bin, 'validate', file]],
  ];
  const rows: Row[] = [];
  for (const [label, args] of cases) {
    wallMs(args); // warm the file system cache
    const fb: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      fb.push(wallMs(args));
      bare.push(wallMs(['-e', '']));
    }
    const over = median(fb) - median(bare);
    rows.push({
      row: `Cold start: ${label}`,
      command: `node bin/firebreak.js ${label === '--version' ? '--version' : 'validate experiments/demo-payments-errors.yaml'}, ${runs} runs alternating with node -e ''`,
      figure: `${round(median(fb), 0)} ms (+${round(over, 0)} ms over bare Node)`,
      peer: "bare Node (node -e '')",
      peerFigure: `${round(median(bare), 0)} ms`,
      ratio: `${round(median(fb) / median(bare), 2)}`,
      target: '≤ 300 ms over bare Node',
      met: over <= 300 ? 'met' : 'missed',
      ...(over > 300 ? { note: `${round(over - 300, 0)} ms over the target` } : {}),
    });
  }
  return rows;
}
