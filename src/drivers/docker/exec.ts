import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { withTimeout, sleep } from '../../util/abort.js';
import { engineCall, type EngineCallContext } from './client.js';
import { short } from './containers.js';

export interface ExecOptions {
  user?: string;
  workingDir?: string;
  env?: Record<string, string>;
  /** The whole run: create, start, output, exit code. */
  timeoutMs: number;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Output kept per stream; the rest is dropped (the end is usually what explains a failure). */
export const MAX_OUTPUT_BYTES = 64 * 1024;

/** Runs a command inside a running container (`docker exec`) and collects its exit code and output. */
export async function execInContainer(ctx: EngineCallContext, id: string, command: string[], opts: ExecOptions): Promise<ExecResult> {
  const started = Date.now();
  const docker = ctx.connection.docker;
  const what = `exec ${JSON.stringify(command.join(' '))} in ${short(id)}`;
  return withTimeout(
    `docker ${what}`,
    opts.timeoutMs,
    async (signal) => {
      const call = { ...ctx, signal };
      const exec = await engineCall(call, `${what}: create`, (abortSignal) =>
        docker.getContainer(id).exec({
          Cmd: command,
          AttachStdout: true,
          AttachStderr: true,
          ...(opts.user ? { User: opts.user } : {}),
          ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
          ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
          abortSignal,
        }),
      );
      const stdout = new Tail(MAX_OUTPUT_BYTES);
      const stderr = new Tail(MAX_OUTPUT_BYTES);
      // The stream lasts as long as the command: bounded by the exec's own timeout, not one call's.
      const stream = await engineCall(call, `${what}: start`, (abortSignal) => exec.start({ hijack: true, stdin: false, abortSignal }), opts.timeoutMs);
      docker.modem.demuxStream(stream, stdout, stderr);
      const onAbort = (): void => {
        stream.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await finished(stream, { readable: true, writable: false }).catch((err: unknown) => {
          if (signal.aborted) throw signal.reason;
          // A hijacked socket may end with a reset once the command is done; the exit code decides.
          void err;
        });
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      let info = await engineCall(call, `${what}: inspect`, (abortSignal) => exec.inspect({ abortSignal }));
      while (info.Running) {
        await sleep(50, signal);
        info = await engineCall(call, `${what}: inspect`, (abortSignal) => exec.inspect({ abortSignal }));
      }
      return { exitCode: info.ExitCode, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started };
    },
    ctx.signal,
  );
}

/** A sink that keeps the last `max` bytes written to it. */
class Tail extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
    done();
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}
