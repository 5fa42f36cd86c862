/**
 * Every benchmark, one table: `npm run bench` (6-9 minutes on a 2-core machine) or `npm run bench -- --quick` (CI,
 * about 5 minutes). Writes bench/RESULTS.md (the table, with the machine and the settings) and
 * bench/results/run.json. Exits non-zero only when a benchmark crashes, never because a figure misses
 * its target: the table says that.
 *
 *   npm run bench [-- --quick] [-- --only generator,proxy,engine,cold-start,verdicts] [-- --out FILE]
 *
 * Everything runs against servers and containers the benchmarks start themselves on 127.0.0.1.
 * Peers: autocannon (a dev dependency), wrk and hey (Debian packages; a missing one is skipped with
 * its reason in its row).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { BenchOptions, Row } from './table/common.js';
import { coldStartRows } from './table/cold-start.js';
import { abortRow, revertAtScaleRow } from './table/engine.js';
import { generatorRows } from './table/generator.js';
import { proxyRows } from './table/proxy.js';
import { verdictRows } from './table/verdicts.js';

const args = process.argv.slice(2);
const opts: BenchOptions = { quick: args.includes('--quick') };
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
const out = args.includes('--out') ? args[args.indexOf('--out') + 1]! : join(import.meta.dirname, opts.quick ? 'RESULTS-quick.md' : 'RESULTS.md');

const SECTIONS: [string, (o: BenchOptions) => Promise<Row[]>][] = [
  ['generator', generatorRows],
  ['proxy', proxyRows],
  ['engine', async (o) => [await abortRow(o), await revertAtScaleRow(o)]],
  ['cold-start', coldStartRows],
  ['verdicts', verdictRows],
];

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdown(rows: Row[], meta: Record<string, string>): string {
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench${opts.quick ? ' -- --quick' : ''}\` (bench/run.ts); see bench/README.md for what each row measures.`,
    '',
    ...Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`),
    '',
    'Ratios are firebreak’s figure over the peer’s (or over the truth), measured in the same run. A target "set here" is this table’s own bar where the issue named none.',
    '',
    '| row | command | firebreak | peer | peer’s figure | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.row, r.command, r.figure, r.peer, r.peerFigure, r.ratio, r.target, r.met].map(cell).join(' | ')} |`),
    '',
  ];
  const notes = rows.filter((r) => r.note);
  if (notes.length) lines.push('Notes:', '', ...notes.map((r) => `- **${r.row}**: ${r.note}`), '');
  return lines.join('\n');
}

const started = Date.now();
const loadBefore = os.loadavg();
const rows: Row[] = [];
let crashed = false;
for (const [name, run] of SECTIONS) {
  if (only && !only.includes(name)) continue;
  const t0 = Date.now();
  const load = os.loadavg()[0]!;
  console.log(`== ${name}`);
  try {
    const got = await run(opts);
    // Every figure depends on what else the machine runs: a missed target says how busy it was.
    for (const r of got) if (r.met === 'missed') r.note = `${r.note ? `${r.note}; ` : ''}1-minute load average ${load.toFixed(2)} on ${os.cpus().length} cores when the section started`;
    for (const r of got) console.log(`  ${r.row}: ${r.figure} | ${r.peer}: ${r.peerFigure} | ${r.target}: ${r.met}${r.note ? ` (${r.note})` : ''}`);
    rows.push(...got);
  } catch (err) {
    crashed = true;
    console.error(`benchmark ${name} crashed:`, err);
    rows.push({ row: name, command: '-', figure: '-', peer: '-', peerFigure: '-', ratio: '-', target: '-', met: 'missed', note: `crashed: ${(err as Error).message}` });
  }
  console.log(`  (${Math.round((Date.now() - t0) / 1000)} s)`);
}
const meta = {
  when: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  node: process.version,
  'load average (1 min) before / after': `${loadBefore[0]!.toFixed(2)} / ${os.loadavg()[0]!.toFixed(2)}`,
  'took': `${Math.round((Date.now() - started) / 1000)} s`,
};
writeFileSync(out, markdown(rows, meta));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', opts.quick ? 'run-quick.json' : 'run.json'), JSON.stringify({ ...meta, rows }, null, 2) + '\n');
console.log(`written to ${out}`);
// Helper processes and sockets are closed by each section; nothing should keep the process alive.
process.exit(crashed ? 1 : 0);
