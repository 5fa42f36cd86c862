import { spawn } from 'node:child_process';
import { FirebreakError } from '../errors.js';

export interface ExecResult {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
}

const MAX_OUTPUT = 1024 * 1024;
/** How long output is still read after the command exited, when a background child keeps the pipes open. */
const OUTPUT_DRAIN_MS = 200;

/**
 * Runs a command (a string goes through /bin/sh -c; an array runs directly) in its own process
 * group, so a timeout or cancellation kills everything it started, not just the shell.
 */
export async function execCommand(
  command: string | string[],
  opts: { timeoutMs: number; signal?: AbortSignal; cwd?: string; env?: Record<string, string>; input?: string },
): Promise<ExecResult> {
  const [file, args] = typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0]!, command.slice(1)];
  const shown = typeof command === 'string' ? command : command.join(' ');
  const started = performance.now();
  if (opts.signal?.aborted) {
    return { command: shown, exitCode: null, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, canceled: true };
  }
  return await new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let canceled = false;
    const kill = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      canceled = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new FirebreakError('FIREBREAK_E_PROBE', `cannot start "${shown}": ${err.message}`, { cause: err }));
    });
    let settled = false;
    const settle = (code: number | null, sig: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ command: shown, exitCode: code, signal: sig, stdout, stderr, durationMs: performance.now() - started, timedOut, canceled });
    };
    let drain: NodeJS.Timeout | undefined;
    // Done when the command exits, not when its output pipes close: something it started in the
    // background (`stress --cpu 1 &`) keeps them open for as long as it runs. What the command wrote
    // is read for a moment longer, then the pipes are let go.
    child.on('exit', (code, sig) => {
      drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle(code, sig);
      }, OUTPUT_DRAIN_MS);
    });
    child.on('close', (code, sig) => settle(code, sig));
  });
}
