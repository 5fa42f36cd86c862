import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, tempDir, type CliResult } from './cli.js';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Whether util-linux `script` is here to give the CLI a pseudo-terminal. */
export const hasScript = ((): boolean => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export const SGR = /\x1b\[[0-9;]*m/;
const SGR_ALL = /\x1b\[[0-9;]*m/g;

/**
 * Runs the real CLI on a pseudo-terminal (util-linux `script`) of `columns` columns: stdout and stderr
 * are both the terminal (stdout goes to `stdoutFile` instead when given), so what comes back is what a
 * person sees, line ends as `\n`; `raw` keeps the colour codes, `stdout` has none.
 */
export function runOnTty(args: string[], opts: { cwd?: string; env?: Record<string, string>; columns?: number; stdoutFile?: string } = {}): Promise<CliResult & { raw: string }> {
  const redirect = opts.stdoutFile ? ` >${quote(opts.stdoutFile)}` : '';
  const command = `${opts.columns ? `stty cols ${opts.columns}; ` : ''}exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}${redirect}`;
  const env: Record<string, string | undefined> = { ...process.env, LANG: 'C.UTF-8', TERM: 'xterm' };
  for (const name of ['FIREBREAK_LOG_LEVEL', 'FIREBREAK_LOG_FORMAT', 'LC_ALL', 'LC_CTYPE', 'NO_COLOR', 'FORCE_COLOR', 'FIREBREAK_ASCII']) delete env[name];
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: opts.cwd ?? ROOT, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit in 60 s: ${stdout.slice(-2000)}`));
    }, 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const raw = stdout.replace(/\r\n/g, '\n');
      resolve({ code, signal, raw, stdout: raw.replace(SGR_ALL, ''), stderr });
    });
  });
}

/**
 * For a describe block of terminal tests: skipped where `script` is missing; before each test a fresh
 * temporary directory with the experiment `lines` written to `name` in it, removed after.
 */
export function ttyExperiment(name: string, lines: string[]): { dir(): string; file(): string } {
  let tmp: ReturnType<typeof tempDir> | undefined;
  before(function () {
    if (!hasScript) this.skip();
  });
  beforeEach(() => {
    tmp = tempDir();
    writeFileSync(join(tmp.dir, name), [...lines, ''].join('\n'));
  });
  afterEach(() => tmp?.cleanup());
  return { dir: () => tmp!.dir, file: () => join(tmp!.dir, name) };
}
