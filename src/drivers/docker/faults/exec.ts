import type { AttributeDoc } from '../../../experiment/attributes.js';
import { FirebreakError, isFirebreakError, type ErrorCode } from '../../../errors.js';
import { readDuration, readString, readStringMap, rejectUnknown } from '../../core/attrs.js';
import type { IssueSink } from '../../../experiment/issues.js';
import type { FaultType, JsonObject } from '../../../faults/types.js';
import type { DockerConnection } from '../client.js';
import { execInContainer, type ExecResult } from '../exec.js';
import { requireContainer } from '../containers.js';
import { CALL_SLACK_MS, inspectForRevert, label, requireTarget, type ContainerRef } from './common.js';

export interface ExecAttrs {
  command: string[];
  revertCommand?: string[];
  user?: string;
  workingDir?: string;
  env?: Record<string, string>;
  timeoutMs: number;
}

export interface ExecState extends ContainerRef {
  command: string[];
  revertCommand: string[] | null;
  user: string | null;
  workingDir: string | null;
  env: { [key: string]: string };
  timeoutMs: number;
  /** What apply's command did (exit code, output tails), once it ran. */
  applied: JsonObject | null;
}

/** Output kept in the state (and so in the ledger and journal), per stream. */
const STATE_OUTPUT_CHARS = 2000;

const ATTRS: readonly AttributeDoc[] = [
  { name: 'command', kind: 'argv', required: true, summary: 'The command run in the container at apply, as an argv list.' },
  { name: 'revertCommand', kind: 'argv', summary: 'The command run at revert that undoes it.' },
  { name: 'user', kind: 'string', summary: 'The user the commands run as.', default: "the container's" },
  { name: 'workingDir', kind: 'string', summary: 'The directory the commands run in.', default: "the container's" },
  { name: 'env', kind: 'map', summary: 'Extra environment variables for the commands.' },
  { name: 'timeout', kind: 'duration', default: '30s', summary: 'How long each command may run.' },
];

/**
 * Runs a command inside the container for apply and another for revert: the escape hatch for harm the
 * container can do to itself (fill a disk, drop a cache, flip a feature flag). The revert command must
 * be idempotent: it may run again after a crash. A command that outlives `timeout` fails the apply (or
 * the revert) but keeps running in the container: the engine has no call to stop an exec.
 */
export const dockerExec: FaultType<ExecAttrs, ExecState, DockerConnection> = {
  type: 'docker.exec',
  driver: 'docker',
  summary: 'Runs a command in the container (apply), and a revert command to undo it; non-zero exit fails.',
  scope: 'target',
  attributes: ATTRS,
  example: { command: ['sh', '-c', 'touch /tmp/maintenance'], revertCommand: ['rm', '-f', '/tmp/maintenance'] },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const command = readArgv(attrs, 'command', issues, true);
    const revertCommand = readArgv(attrs, 'revertCommand', issues, false);
    const user = readString(attrs, 'user', issues);
    const workingDir = readString(attrs, 'workingDir', issues);
    const env = readStringMap(attrs, 'env', issues);
    const timeoutMs = readDuration(attrs, 'timeout', issues, 30_000);
    if (!command || timeoutMs === undefined || issues.count > before) return undefined;
    return {
      command,
      ...(revertCommand ? { revertCommand } : {}),
      ...(user ? { user } : {}),
      ...(workingDir ? { workingDir } : {}),
      ...(env ? { env } : {}),
      timeoutMs,
    };
  },
  describe(a, target) {
    return `run ${JSON.stringify(a.command.join(' '))} in ${label(target)}${a.revertCommand ? ` (revert: ${JSON.stringify(a.revertCommand.join(' '))})` : ''}`;
  },
  async prepare(ctx, a, target) {
    const t = requireTarget(target, 'docker.exec');
    const info = await requireContainer(ctx, t.id);
    return {
      container: info.Id,
      name: t.name,
      command: a.command,
      revertCommand: a.revertCommand ?? null,
      user: a.user ?? null,
      workingDir: a.workingDir ?? null,
      env: a.env ?? {},
      timeoutMs: a.timeoutMs,
      applied: null,
    };
  },
  async apply(ctx, s) {
    const r = await run(ctx, s, s.command, 'apply', 'FIREBREAK_E_APPLY');
    if (r.exitCode !== 0) {
      throw new FirebreakError('FIREBREAK_E_APPLY', failure('apply', s, s.command, r), { details: summary(r) });
    }
    ctx.logger.debug({ container: s.name, exitCode: r.exitCode, durationMs: r.durationMs }, 'docker.exec applied');
    return { ...s, applied: summary(r) };
  },
  async revert(ctx, s) {
    if (!s.revertCommand) return;
    if (!(await inspectForRevert(ctx, s, 'the revert command cannot run'))) return;
    const r = await run(ctx, s, s.revertCommand, 'revert', 'FIREBREAK_E_REVERT');
    if (r.exitCode !== 0) {
      throw new FirebreakError('FIREBREAK_E_REVERT', failure('revert', s, s.revertCommand, r), { details: summary(r) });
    }
  },
  budgetMs(s) {
    // One command (apply's or revert's) within its own timeout, and the calls around it.
    return s.timeoutMs + CALL_SLACK_MS;
  },
};

/**
 * Runs one command within the state's timeout. A command that outlives it is a failure of the apply or
 * revert (`code`), saying that it may still be running; the caller's own abort passes through.
 */
async function run(ctx: Parameters<typeof dockerExec.apply>[0], s: ExecState, command: string[], what: string, code: ErrorCode): Promise<ExecResult> {
  try {
    return await execInContainer(ctx, s.container, command, {
      timeoutMs: s.timeoutMs,
      ...(s.user ? { user: s.user } : {}),
      ...(s.workingDir ? { workingDir: s.workingDir } : {}),
      ...(Object.keys(s.env).length ? { env: s.env } : {}),
    });
  } catch (err) {
    if (ctx.signal.aborted || !isFirebreakError(err, 'FIREBREAK_E_TIMEOUT')) throw err;
    throw new FirebreakError(
      code,
      `${what} command ${JSON.stringify(command.join(' '))} in ${s.name} did not finish within ${s.timeoutMs} ms; ` +
        'the engine cannot stop an exec, so it may still be running in the container',
      { cause: err, details: { timedOut: true, timeoutMs: s.timeoutMs } },
    );
  }
}

function failure(what: string, s: ExecState, command: string[], r: ExecResult): string {
  const err = (r.stderr.trim() || r.stdout.trim()).slice(-500);
  return `${what} command ${JSON.stringify(command.join(' '))} in ${s.name} exited ${r.exitCode ?? 'without a code'}${err ? `: ${err}` : ''}`;
}

function summary(r: ExecResult): JsonObject {
  return { exitCode: r.exitCode, stdout: r.stdout.slice(-STATE_OUTPUT_CHARS), stderr: r.stderr.slice(-STATE_OUTPUT_CHARS), durationMs: r.durationMs };
}

function readArgv(attrs: Record<string, unknown>, key: string, issues: IssueSink, required: boolean): string[] | undefined {
  const v = attrs[key];
  if (v === undefined) {
    if (required) issues.add(key, 'is required', 'an argv array like ["sh", "-c", "..."]');
    return undefined;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  issues.add(key, `must be a non-empty array of strings, got ${JSON.stringify(v)}`, 'an argv array like ["sh", "-c", "..."]');
  return undefined;
}
