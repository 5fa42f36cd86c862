import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, openFaultsOf } from '../../src/engine/ledger.js';
import { runCli } from '../../test/helpers/cli.js';
import { mountSmallFs } from '../../test/helpers/small-fs.js';

/** One ledger scenario on a real small or read-only file system, and what it left. */
export interface DiskOutcome {
  scenario: string;
  ok: boolean;
  detail: string;
}

export interface DiskReport {
  scenarios: number;
  passed: number;
  faultsLeft: number;
  skipped?: string;
  outcomes: DiskOutcome[];
}

function experiment(dir: string, name: string, faults: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, ['title: Disk campaign', 'phases: { before: 100ms, during: 500ms, after: 100ms, tick: 100ms }', 'faults:', ...faults.map((f) => `  - ${f}`), ''].join('\n'));
  return file;
}

const processFault = (flag: string, apply = `touch ${flag}`, start = 0): string => `{ type: process, apply: "${apply}", revert: "rm -f ${flag}"${start ? `, start: ${start}ms` : ''} }`;

/**
 * The ledger against real file systems that fill up or are read-only (tmpfs mounts; needs root):
 * a run with no room even for its reserve, a disk filled by a fault while the run is live (with the
 * reserve, and with the reserve gone too), and a read-only ledger directory.
 */
export async function diskCampaign(dir: string): Promise<DiskReport> {
  const report: DiskReport = { scenarios: 0, passed: 0, faultsLeft: 0, outcomes: [] };
  const record = (scenario: string, ok: boolean, detail: string, left = 0): void => {
    report.scenarios++;
    if (ok) report.passed++;
    report.faultsLeft += left;
    report.outcomes.push({ scenario, ok, detail });
  };
  const flags = [join(dir, 'f1'), join(dir, 'f2'), join(dir, 'f3')];
  const left = (ledger: string): number => flags.filter(existsSync).length + (existsSync(ledger) ? openFaultsOf(Ledger.readEntries(ledger)).length : 0);

  const tiny = mountSmallFs(16);
  if (typeof tiny === 'string') {
    report.skipped = tiny;
    return report;
  }
  try {
    const ledger = join(tiny.dir, 'ledger.jsonl');
    tiny.fill();
    const r = await runCli(['--ledger', ledger, 'run', experiment(dir, 'tiny', [processFault(flags[0]!)])], { cwd: dir });
    const ok = r.code === 4 && /FIREBREAK_E_LEDGER_WRITE/.test(r.stdout + r.stderr) && !existsSync(flags[0]!);
    record('full 16 KiB tmpfs: the run refuses before touching anything', ok, `exit ${r.code}`, left(ledger));
  } finally {
    tiny.unmount();
  }

  for (const withReserve of [true, false]) {
    const fs = mountSmallFs(256);
    if (typeof fs === 'string') break;
    try {
      const ledger = join(fs.dir, 'ledger.jsonl');
      // The second fault fills the disk while the first is live (and, without the reserve, removes it first).
      // The ledger's last page is used up too (a blank line, which readers skip): nothing more fits anywhere.
      const pad = `s=$(stat -c %s ${ledger}); n=$(( (4096 - s % 4096) % 4096 )); if [ $n -gt 0 ]; then head -c $((n - 1)) /dev/zero | tr '\\\\0' ' ' >> ${ledger}; echo >> ${ledger}; fi`;
      const fill = `${withReserve ? '' : `rm -f ${ledger}.reserve; `}dd if=/dev/zero of=${fs.dir}/filler bs=1k 2>/dev/null; ${pad}; touch ${flags[1]}`;
      const file = experiment(dir, `fill-${withReserve}`, [processFault(flags[0]!), processFault(flags[1]!, fill, 100), processFault(flags[2]!, `touch ${flags[2]}`, 200)]);
      const r = await runCli(['--ledger', ledger, 'run', file], { cwd: dir });
      const reverted = flags.every((f) => !existsSync(f));
      let detail = `exit ${r.code}`;
      let ok = reverted;
      if (withReserve) ok &&= left(ledger) === 0;
      else {
        ok &&= r.code === 4 && /reverted, not ledgered/.test(r.stdout);
        rmSync(join(fs.dir, 'filler'), { force: true });
        const rec = await runCli(['--ledger', ledger, 'recover'], { cwd: dir });
        ok &&= rec.code === 0;
        detail += `, recover exit ${rec.code}`;
      }
      record(`disk filled mid-run on a 256 KiB tmpfs, ${withReserve ? 'with' : 'without'} the reserve: every fault reverted${withReserve ? ' and ledgered' : ', reported not ledgered, closed by recover'}`, ok, detail, left(ledger));
    } finally {
      fs.unmount();
    }
  }

  const ro = mountSmallFs(64);
  if (typeof ro !== 'string') {
    try {
      const ledger = join(ro.dir, 'ledger.jsonl');
      ro.readOnly();
      const run = await runCli(['--ledger', ledger, 'run', experiment(dir, 'ro', [processFault(flags[0]!)])], { cwd: dir });
      const rec = await runCli(['--ledger', ledger, 'recover'], { cwd: dir });
      const ok = run.code === 4 && rec.code === 4 && /FIREBREAK_E_LEDGER_UNWRITABLE/.test(run.stdout + run.stderr) && /FIREBREAK_E_LEDGER_UNWRITABLE/.test(rec.stderr) && !existsSync(flags[0]!);
      record('read-only ledger directory: run and recover say so (FIREBREAK_E_LEDGER_UNWRITABLE), nothing applied', ok, `run exit ${run.code}, recover exit ${rec.code}`, left(ledger));
    } finally {
      ro.unmount();
    }
  }
  return report;
}
