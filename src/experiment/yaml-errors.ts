/**
 * YAML's syntax errors in plain words, at the line where the mistake is (an unclosed quote or brace
 * is reported by the parser where the file ends; the user needs the line where it was opened).
 */
export interface PlainSyntaxError {
  /** Offset in the text the message is about. */
  offset: number;
  message: string;
  /** An unclosed quote or bracket: the parser's later errors are its consequences, not more mistakes. */
  final?: boolean;
}

export function plainSyntaxError(code: string, message: string, text: string, offset: number): PlainSyntaxError {
  const lines = text.split('\n');
  const lineNo = lineOf(text, offset);
  const line = lines[lineNo] ?? '';
  const indent = /^ */.exec(line)![0].length;
  const trimmed = line.trim();
  const first = message.split('\n')[0]!;
  if (code === 'TAB_AS_INDENT') return { offset, message: 'a tab is used to indent this line: YAML indents with spaces only' };
  if (code === 'DUPLICATE_KEY') {
    const key = /^\s*(?:-\s+)?("[^"]*"|'[^']*'|[^:#]+?)\s*:/.exec(text.slice(offset).split('\n')[0]!)?.[1] ?? 'this field';
    const earlier = findEarlier(lines, lineNo, key);
    return { offset, message: `"${key}" is given twice in the same mapping${earlier !== undefined ? ` (first on line ${earlier + 1})` : ''}: keep one` };
  }
  if (code === 'MULTILINE_IMPLICIT_KEY') {
    return { offset, message: `"${trimmed}" is not followed by ":" (a field is written name: value, or name: on its own line with the value indented below)` };
  }
  if (code === 'MISSING_CHAR' && /Missing closing .?quote/.test(first)) {
    const quote = first.includes("'quote") ? "'" : '"';
    const opened = findUnclosed(lines, lineNo, quote);
    return { offset: opened ?? offset, message: `the ${quote === '"' ? 'double' : 'single'} quote opened on this line is never closed`, final: true };
  }
  if (code === 'MISSING_CHAR' && /Sequence item without - indicator/.test(first)) {
    return { offset, message: `this line is indented ${indent} space${indent === 1 ? '' : 's'}, which lines up with nothing above it: indent it like the fields it belongs with` };
  }
  if (code === 'MISSING_CHAR' && /Implicit map keys need to be followed by map values/.test(first)) {
    return { offset, message: `"${trimmed}" has no ":" after its name (write name: value)` };
  }
  if (/must (be sufficiently indented and )?end with a ([}\]])/.test(first)) {
    const close = /end with a ([}\]])/.exec(first)![1]!;
    const open = close === '}' ? '{' : '[';
    const opened = findUnbalanced(text, offset, open, close);
    return { offset: opened ?? offset, message: `the ${open} opened here is not closed with ${close} (or a line inside it is indented less than the line it opened on)`, final: true };
  }
  if (code === 'BAD_INDENT') {
    return { offset, message: `this line is indented ${indent} space${indent === 1 ? '' : 's'}, unlike the fields beside it: line it up with them` };
  }
  if (code === 'BLOCK_AS_IMPLICIT_KEY' || /Nested mappings are not allowed in compact mappings/.test(first)) {
    return { offset, message: 'this value contains ": ", which YAML reads as another field: put the value in quotes, e.g. description: "run: now"' };
  }
  return { offset, message: first };
}

function lineOf(text: string, offset: number): number {
  let n = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') n++;
  return n;
}

function offsetOfLine(lines: string[], lineNo: number): number {
  let off = 0;
  for (let i = 0; i < lineNo; i++) off += lines[i]!.length + 1;
  return off;
}

function findEarlier(lines: string[], lineNo: number, key: string): number | undefined {
  const indent = /^ */.exec(lines[lineNo] ?? '')![0].length;
  for (let i = lineNo - 1; i >= 0; i--) {
    const l = lines[i]!;
    const li = /^ */.exec(l)![0].length;
    if (l.trim() && li < indent) break;
    if (li === indent && l.slice(indent).startsWith(`${key}:`)) return i;
  }
  return undefined;
}

/** The offset of the last line at or before `lineNo` with an odd number of `quote` characters. */
function findUnclosed(lines: string[], lineNo: number, quote: string): number | undefined {
  for (let i = Math.min(lineNo, lines.length - 1); i >= 0; i--) {
    const count = (lines[i]!.replace(/\\./g, '').match(new RegExp(quote, 'g')) ?? []).length;
    if (count % 2 === 1) return offsetOfLine(lines, i) + lines[i]!.indexOf(quote);
  }
  return undefined;
}

/** The offset of the last `open` before `offset` that its text leaves unclosed. */
function findUnbalanced(text: string, offset: number, open: string, close: string): number | undefined {
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') while (i < offset && text[i] !== '\n') i++;
    else if (c === open) stack.push(i);
    else if (c === close) stack.pop();
  }
  return stack.pop();
}
