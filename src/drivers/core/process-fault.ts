import { resolve } from 'node:path';
import { FirebreakError } from '../../errors.js';
import { execCommand } from '../../util/exec.js';
import type { FaultType, JsonObject } from '../../faults/types.js';
import { readCommand, readDuration, readStringMap, readString, rejectUnknown } from './attrs.js';
import type { AttributeDoc } from '../../experiment/attributes.js';

interface ProcessFaultAttrs {
  apply: string | string[];
  revert: string | string[];
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string>;
}

interface ProcessFaultState extends JsonObject {
  apply: string | string[];
  revert: string | string[];
  timeoutMs: number;
  cwd: string;
  env: { [k: string]: string };
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'apply', kind: 'command', required: true, summary: 'The command that injects the fault (a string runs in a shell).' },
  { name: 'revert', kind: 'command', required: true, summary: 'The command that undoes it; it must succeed when run twice, or after apply failed half way.' },
  { name: 'timeout', kind: 'duration', default: '30s', summary: 'How long each command may run before it is killed.' },
  { name: 'cwd', kind: 'string', summary: "The directory the commands run in, relative to the experiment file's.", default: "the experiment file's directory" },
  { name: 'env', kind: 'map', summary: 'Extra environment variables.' },
];

/** Wraps any tool the user already has: an apply command and a revert command. */
export const processFault: FaultType<ProcessFaultAttrs, ProcessFaultState> = {
  type: 'process',
  driver: 'core',
  summary: 'Runs an apply command, and a revert command to undo it (wraps any existing tool).',
  attributes: ATTRS,
  example: { apply: 'touch /tmp/maintenance', revert: 'rm -f /tmp/maintenance', timeout: '10s' },
  scope: 'none',
  parse(attrs, issues) {
    rejectUnknown(attrs, ATTRS, issues);
    const apply = readCommand(attrs, 'apply', issues, true);
    const revert = readCommand(attrs, 'revert', issues, true);
    const timeoutMs = readDuration(attrs, 'timeout', issues, 30_000);
    const cwd = readString(attrs, 'cwd', issues);
    const env = readStringMap(attrs, 'env', issues);
    if (!apply || !revert || timeoutMs === undefined) return undefined;
    return { apply, revert, timeoutMs, ...(cwd ? { cwd } : {}), ...(env ? { env } : {}) };
  },
  describe(a) {
    return `run "${show(a.apply)}" (revert: "${show(a.revert)}")`;
  },
  // The directory is made absolute here, so `recover` from anywhere runs the revert in the same place.
  async prepare(ctx, a) {
    return { apply: a.apply, revert: a.revert, timeoutMs: a.timeoutMs, cwd: resolve(ctx.baseDir ?? process.cwd(), a.cwd ?? '.'), env: a.env ?? {} };
  },
  budgetMs: (s) => s.timeoutMs,
  async apply(ctx, s) {
    await run(s.apply, s, ctx.signal, 'apply');
  },
  async revert(ctx, s) {
    await run(s.revert, s, ctx.signal, 'revert');
  },
};

async function run(command: string | string[], s: ProcessFaultState, signal: AbortSignal, what: string): Promise<void> {
  const r = await execCommand(command, { timeoutMs: s.timeoutMs, signal, cwd: s.cwd, env: s.env });
  if (r.exitCode !== 0 || r.timedOut || r.canceled) {
    const why = r.timedOut ? `timed out after ${s.timeoutMs} ms` : r.canceled ? 'was canceled' : `exited ${r.exitCode ?? r.signal}`;
    throw new FirebreakError(what === 'apply' ? 'FIREBREAK_E_APPLY' : 'FIREBREAK_E_REVERT', `${what} command "${show(command)}" ${why}: ${r.stderr.trim().slice(0, 500)}`);
  }
}

function show(c: string | string[]): string {
  return typeof c === 'string' ? c : c.join(' ');
}
