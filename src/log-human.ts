import { clearLiveAreas, paint, terminalText, type Paint } from './report/terminal.js';

export interface HumanLogOptions {
  color: boolean;
  unicode: boolean;
}

interface LineSink {
  write(line: string): unknown;
}

/**
 * The stream pino writes to: its JSON lines as they are, or each turned into the human format. Either
 * way a live progress block on the terminal is cleared first, so the two never overwrite each other.
 */
export function humanLogStream(destination: LineSink, format: 'json' | 'human', opts: HumanLogOptions): LineSink {
  return {
    write(line: string) {
      clearLiveAreas();
      return destination.write(format === 'human' ? formatHumanLine(line, opts) : line);
    },
  };
}

const LEVELS: Record<string, [string, Paint]> = {
  trace: ['TRACE', 'gray'],
  debug: ['DEBUG', 'blue'],
  info: ['INFO ', 'green'],
  warn: ['WARN ', 'yellow'],
  error: ['ERROR', 'red'],
  fatal: ['FATAL', 'magenta'],
};

/** Fields every record has that the human line shows otherwise (time, level) or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** One pino JSON line as `12:04:05.123 INFO  message key=value ...` (local time). */
export function formatHumanLine(json: string, opts: HumanLogOptions): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const [label, colour] = LEVELS[String(record.level)] ?? [String(record.level).toUpperCase().padEnd(5), undefined];
  const parts = [paint(opts, 'dim', clock(record.time)), paint(opts, colour, label)];
  if (record.msg !== undefined) parts.push(String(record.msg));
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    parts.push(`${paint(opts, 'dim', `${key}=`)}${fieldText(value)}`);
  }
  return terminalText(parts.join(' '), opts) + '\n';
}

function clock(time: unknown): string {
  const d = new Date(typeof time === 'number' || typeof time === 'string' ? time : Date.now());
  if (Number.isNaN(d.getTime())) return String(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A bare word as it is, other strings quoted; an error as its message (and code); other objects as compact JSON. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  const e = value as { message?: unknown; code?: unknown };
  if (typeof e.message === 'string' && !Array.isArray(value)) {
    return JSON.stringify(typeof e.code === 'string' && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message);
  }
  return JSON.stringify(value);
}
