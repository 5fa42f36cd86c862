import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One row of bench/RESULTS.md: what ran, what firebreak measured, the peer's figure, the target. */
export interface Row {
  row: string;
  /** How to run what was measured (the benchmark and the settings, or the peer's command). */
  command: string;
  figure: string;
  peer: string;
  peerFigure: string;
  /** firebreak's figure over the peer's (or over the truth), as a number when there is one. */
  ratio: string;
  target: string;
  /** `met`, `missed`, or `-` where the row has no target (a peer's own figure, information). */
  met: 'met' | 'missed' | '-';
  /** Why a target was missed, a peer skipped, anything a reader must know to trust the figure. */
  note?: string;
}

export interface BenchOptions {
  quick: boolean;
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The value of rank ceil(p/100 * n) of a list (nearest-rank percentile). */
export function percentile(values: readonly number[] | Float64Array, p: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function ratioText(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${round(a / b, 2)}` : '-';
}

/** A peer tool on PATH (or in node_modules/.bin), or why it is missing. */
export function findTool(name: string, local?: string): { path: string } | { missing: string } {
  if (local) return { path: local };
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', timeout: 5000 });
  const path = r.stdout.trim();
  return path ? { path } : { missing: `${name} is not installed (Debian: apt-get install ${name})` };
}

/** Runs a command to its end (bounded), returning its output. */
export function runTool(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A helper process speaking JSON lines: it prints one line when ready, answers each request line with
 * one reply line. Servers under test run in their own process, as a real system would, so neither
 * firebreak nor a peer shares their event loop.
 */
export class LineProcess {
  private readonly replies: ((v: unknown) => void)[] = [];
  readonly ready: Promise<Record<string, unknown>>;
  constructor(private readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout! });
    let first: ((v: Record<string, unknown>) => void) | undefined;
    this.ready = new Promise((resolve, reject) => {
      first = resolve;
      child.once('exit', (code) => reject(new Error(`helper process exited (${code}) before it was ready`)));
      setTimeout(() => reject(new Error('helper process not ready within 10 s')), 10_000).unref();
    });
    lines.on('line', (line) => {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (first) {
        const f = first;
        first = undefined;
        return f(value);
      }
      this.replies.shift()?.(value);
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[helper] ${d.toString()}`));
  }

  static start(script: string, args: string[] = []): LineProcess {
    return new LineProcess(spawn(process.execPath, ['-e', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  ask<T = Record<string, unknown>>(request: unknown, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`helper did not answer ${JSON.stringify(request)}`)), timeoutMs);
      this.replies.push((v) => {
        clearTimeout(timer);
        resolve(v as T);
      });
      this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
