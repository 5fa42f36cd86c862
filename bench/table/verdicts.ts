import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { round, runTool, type BenchOptions, type Row } from './common.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** bench/verdicts.ts in its quick form (its full form runs for an hour, separately): false verdicts and harms caught. */
export async function verdictRows(opts: BenchOptions): Promise<Row[]> {
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'verdicts.ts'), '--quick', ...(opts.quick ? ['--aa', '1', '--shares', '0.25'] : [])];
  const r = await runTool(process.execPath, args, 30 * 60_000);
  if (r.code !== 0) throw new Error(`bench/verdicts.ts exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'verdicts-quick.json'), 'utf8')) as {
    aa: { runs: number; falseDeviation: { rate: number }; falseAbort: { rate: number }; inconclusive: { rate: number } };
    harms: Record<string, Record<string, { runs: number; detected: number }>>;
  };
  const caught = Object.entries(results.harms)
    .flatMap(([harm, byShare]) => Object.entries(byShare).map(([share, t]) => `${harm} @ ${share}: ${t.detected}/${t.runs}`))
    .join('; ');
  return [
    {
      row: 'Verdict truth (quick)',
      command: `node --import tsx ${args.slice(2).join(' ').replace(ROOT + '/', '')}`,
      figure: `A/A runs ${results.aa.runs}: false deviated ${round(results.aa.falseDeviation.rate * 100, 0)}%, false aborted ${round(results.aa.falseAbort.rate * 100, 0)}%, inconclusive ${round(results.aa.inconclusive.rate * 100, 0)}%; harms caught: ${caught}`,
      peer: '-',
      peerFigure: '-',
      ratio: '-',
      target: '- (rates need the full form: bench/verdicts.ts)',
      met: '-',
    },
  ];
}
