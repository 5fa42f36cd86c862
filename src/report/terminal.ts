/**
 * What a terminal can show: colour (NO_COLOR, FORCE_COLOR, `--no-color`, a TTY), Unicode glyphs or
 * their ASCII stand-ins (TERM=dumb, a locale that is not UTF-8, FIREBREAK_ASCII=1), and its width.
 * Everything written to a terminal goes through here, so each rule holds in one place.
 */

type Env = Record<string, string | undefined>;

export interface TerminalStyle {
  color: boolean;
  unicode: boolean;
  /** Columns of a TTY; undefined when the output is not a terminal (nothing is wrapped). */
  columns: number | undefined;
}

export interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
}

export function terminalStyle(out: TerminalLike, env: Env = process.env): TerminalStyle {
  return { color: colorWanted(out, env), unicode: unicodeWanted(env), columns: out.isTTY && out.columns && out.columns > 0 ? out.columns : undefined };
}

/** NO_COLOR (any value; `--no-color` sets it) wins; then FORCE_COLOR (`0` or `false` turn colour off); else a TTY that is not dumb. */
export function colorWanted(out: TerminalLike, env: Env = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  return Boolean(out.isTTY) && env.TERM !== 'dumb';
}

/** Unicode unless FIREBREAK_ASCII=1, TERM=dumb, or a locale (LC_ALL, LC_CTYPE, LANG, in that order) that is not UTF-8. */
export function unicodeWanted(env: Env = process.env): boolean {
  if (env.FIREBREAK_ASCII && env.FIREBREAK_ASCII !== '0') return false;
  if (env.TERM === 'dumb') return false;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  if (locale) return /utf-?8/i.test(locale);
  // No locale at all is the C locale, which is ASCII; Windows consoles have none and show Unicode.
  return process.platform === 'win32';
}

/** The glyphs of the progress display and summaries, each with its ASCII stand-in. */
export const GLYPHS = {
  start: ['▶', '>'],
  phase: ['·', '-'],
  applied: ['↯', '+'],
  reverted: ['↺', '<'],
  failed: ['✖', 'x'],
  stop: ['■', '#'],
  probe: ['?', '?'],
  pass: ['✔', '+'],
  fail: ['✖', 'x'],
  inconclusive: ['?', '?'],
  error: ['!', '!'],
  arrow: ['→', '->'],
  ellipsis: ['…', '...'],
} as const satisfies Record<string, readonly [string, string]>;

export function glyph(name: keyof typeof GLYPHS, style: { unicode: boolean } = { unicode: unicodeWanted() }): string {
  return GLYPHS[name][style.unicode ? 0 : 1];
}

const ASCII: Record<string, string> = {
  '✔': '+', '✓': '+', '✖': 'x', '✗': 'x', '→': '->', '←': '<-', '…': '...', '±': '+/-', 'µ': 'u', 'μ': 'u',
  '·': '-', '•': '*', '▶': '>', '■': '#', '↺': '<', '↯': '+', '⚡': '!', '—': '-', '–': '-', '‘': "'", '’': "'",
  '“': '"', '”': '"', '×': 'x', '≤': '<=', '≥': '>=', '≈': '~', '°': 'deg',
};

/** Text with every character outside ASCII replaced: glyphs by their stand-ins, accents dropped, the rest `?`. */
export function toAscii(text: string): string {
  return text.replace(/[^\x00-\x7f]/gu, (ch) => ASCII[ch] ?? asciiFallback(ch));
}

function asciiFallback(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x2500 && cp <= 0x257f) return /[─━═┄┅┈┉╌╍]/u.test(ch) ? '-' : /[│┃║┆┇┊┋╎╏]/u.test(ch) ? '|' : '+'; // box drawing
  if (cp >= 0x2800 && cp <= 0x28ff) return '*'; // braille spinners
  const base = ch.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  return base || '?';
}

/** Text for the terminal: unchanged with Unicode, transliterated to ASCII without. */
export function terminalText(text: string, style: { unicode: boolean } = { unicode: unicodeWanted() }): string {
  return style.unicode ? text : toAscii(text);
}

const SGR = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Paint = keyof typeof SGR;

/** Colours text when colour is wanted; nothing at all otherwise. */
export function paint(style: { color: boolean }, colour: Paint | undefined, text: string): string {
  return style.color && colour && text ? `\x1b[${SGR[colour]}m${text}\x1b[0m` : text;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Columns a character takes: 0 for combining marks, 2 for wide (CJK, most emoji), else 1. */
function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd) ||
    [0x231a, 0x231b, 0x23f0, 0x23f3, 0x26a1, 0x26aa, 0x26ab, 0x26bd, 0x26be, 0x26c4, 0x26c5, 0x26d4, 0x2705, 0x274c, 0x274e, 0x2753, 0x2754, 0x2755, 0x2757, 0x2b50, 0x2b55].includes(cp)
  ) return 2;
  return 1;
}

/** The columns a text takes on a terminal (escape sequences take none). */
export function visibleWidth(text: string): number {
  let w = 0;
  for (const ch of stripAnsi(text)) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** Splits off the longest start of `text` that fits in `width` columns. */
function splitAtWidth(text: string, width: number): [string, string] {
  let w = 0;
  let i = 0;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width && i > 0) break;
    w += cw;
    i += ch.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/**
 * One plain (uncoloured) line as lines of at most `width` columns: broken between words, continued
 * indented by two more than the first, a word longer than a line cut where it must be. Nothing is lost.
 */
export function wrapLine(text: string, width: number | undefined): string[] {
  if (!width || visibleWidth(text) <= width) return [text];
  const lead = Math.min(/^ */.exec(text)![0].length, Math.floor(width / 3));
  const indent = ' '.repeat(Math.min(lead + 2, Math.floor(width / 3)));
  const out: string[] = [];
  let line = ' '.repeat(lead);
  let bare = true;
  for (const word of text.trim().split(/ +/)) {
    const next = bare ? line + word : `${line} ${word}`;
    if (visibleWidth(next) <= width) {
      line = next;
      bare = false;
      continue;
    }
    if (!bare) {
      out.push(line);
      line = indent;
    }
    line += word;
    while (visibleWidth(line) > width) {
      const [head, rest] = splitAtWidth(line, width);
      out.push(head);
      line = indent + rest;
    }
    bare = false;
  }
  if (!bare) out.push(line);
  return out;
}

/**
 * Live areas (the progress block redrawn in place) are cleared before anything else is written to the
 * terminal, such as a log line, so the next redraw never moves the cursor over someone else's text.
 */
const liveAreas = new Set<() => void>();

export function registerLiveArea(clear: () => void): () => void {
  liveAreas.add(clear);
  return () => liveAreas.delete(clear);
}

export function clearLiveAreas(): void {
  for (const clear of liveAreas) clear();
}
