import { resolve } from 'node:path';
import { execCommand } from '../../util/exec.js';
import type { ValueProbeType } from '../../probes/types.js';
import { readCommand, readDuration, readString, readStringMap, rejectUnknown } from './attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';

interface ProcessProbeAttrs {
  command: string | string[];
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string>;
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'command', kind: 'command', required: true, summary: 'The command run (a string runs in a shell).' },
  { name: 'timeout', kind: 'duration', default: '10s', summary: 'How long it may run before it is killed.' },
  { name: 'cwd', kind: 'string', summary: "The directory it runs in, relative to the experiment file's.", default: "the experiment file's directory" },
  { name: 'env', kind: 'map', summary: 'Extra environment variables.' },
];

/** Runs a command; tolerances look at `exitCode`, `stdout`, `stderr`, `durationMs`. */
export const processProbe: ValueProbeType<ProcessProbeAttrs> = {
  kind: 'value',
  type: 'process',
  driver: 'core',
  summary: 'Runs a command and answers its exit code and output.',
  attributes: ATTRS,
  example: { command: 'curl -fsS http://127.0.0.1:8080/health', timeout: '5s' },
  parse(attrs, issues) {
    rejectUnknown(attrs, ATTRS, issues);
    const command = readCommand(attrs, 'command', issues, true);
    const timeoutMs = readDuration(attrs, 'timeout', issues, 10_000);
    const cwd = readString(attrs, 'cwd', issues);
    const env = readStringMap(attrs, 'env', issues);
    if (!command || timeoutMs === undefined) return undefined;
    return { command, timeoutMs, ...(cwd ? { cwd } : {}), ...(env ? { env } : {}) };
  },
  async run(ctx, a) {
    const r = await execCommand(a.command, { timeoutMs: Math.min(a.timeoutMs, ctx.timeoutMs), signal: ctx.signal, cwd: resolve(ctx.baseDir, a.cwd ?? '.'), ...(a.env ? { env: a.env } : {}) });
    return {
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: r.stdout.trim(),
      stderr: r.stderr.trim(),
      durationMs: Math.round(r.durationMs),
      timedOut: r.timedOut,
    };
  },
};
