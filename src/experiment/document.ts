import { plainSyntaxError } from './yaml-errors.js';
import { LineCounter, parseDocument, isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { joinPath, type Issue, type IssueSink } from './issues.js';

/** A parsed YAML or JSON document that can say where any field path sits in the source. */
export interface SourceDocument {
  file: string;
  data: unknown;
  /** Syntax errors; when non-empty `data` must not be used. */
  syntaxIssues: Issue[];
  positionOf(path: string): { line: number; column: number } | undefined;
}

/** More values than any experiment has: a document whose aliases expand beyond this is refused (an alias bomb). */
export const MAX_EXPANDED_VALUES = 100_000;
/** Deeper nesting than any experiment has; refused before anything walks it recursively. */
export const MAX_DEPTH = 64;

/**
 * JSON is parsed by the YAML parser too (YAML 1.2 is a superset), so both get the same positions.
 * Never throws: whatever the bytes (binary, an alias bomb, a cycle, an undefined alias, nesting too
 * deep), the answer is data or positioned issues.
 */
export function parseSource(text: string, file: string): SourceDocument {
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined): { line: number; column: number } => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  let doc: Document | undefined;
  const syntaxIssues: Issue[] = [];
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    for (const e of doc.errors) {
      const plain = plainSyntaxError(e.code, e.message, text, e.pos[0]);
      syntaxIssues.push({ file, ...at(plain.offset), path: '', message: `syntax error: ${plain.message}` });
      if (plain.final) break;
    }
  } catch (err) {
    syntaxIssues.push({ file, line: 1, column: 1, path: '', message: `cannot be read: ${(err as Error).message.split('\n')[0]}` });
  }
  if (doc && !syntaxIssues.length) syntaxIssues.push(...aliasIssues(doc, file, at));
  let data: unknown;
  if (doc && !syntaxIssues.length) {
    try {
      // Expansion is bounded by aliasIssues; the library's own alias count would refuse ordinary reuse.
      data = doc.toJS({ maxAliasCount: -1 });
    } catch (err) {
      syntaxIssues.push({ file, line: 1, column: 1, path: '', message: `cannot be read: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  return {
    file,
    data,
    syntaxIssues,
    positionOf(path) {
      if (!doc) return undefined;
      const parts = splitPath(path);
      // Walk up until a node exists: a missing field is reported at its parent.
      for (let n = parts.length; n >= 0; n--) {
        let node: unknown;
        try {
          node = n === 0 ? doc.contents : doc.getIn(parts.slice(0, n), true);
        } catch {
          continue;
        }
        if (isNode(node) && node.range) return at(node.range[0]);
      }
      return undefined;
    },
  };
}

/**
 * Checks aliases before anything expands them: each must name an anchor defined before it, must not
 * point into a node that contains it (a cycle), and all of them together must not expand the document
 * beyond MAX_EXPANDED_VALUES; nesting beyond MAX_DEPTH is refused too. Sizes are memoised per node,
 * so checking an alias bomb costs what its text costs, not what it expands to.
 */
function aliasIssues(doc: Document, file: string, at: (offset: number | undefined) => { line: number; column: number }): Issue[] {
  const issues: Issue[] = [];
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  let firstAlias: number | undefined;
  const add = (node: { range?: [number, number, number] | null }, message: string): void => {
    if (issues.length < 10) issues.push({ file, ...at(node.range?.[0]), path: '', message });
  };
  const size = (node: unknown, depth: number): number => {
    if (node === null || node === undefined || isScalar(node)) return 1;
    if (depth > MAX_DEPTH) {
      add(node as Node, `nested deeper than ${MAX_DEPTH} levels`);
      return MAX_EXPANDED_VALUES + 1;
    }
    if (isAlias(node)) {
      firstAlias ??= node.range?.[0];
      const target = node.resolve(doc);
      if (!target) {
        add(node, `alias *${node.source} refers to no anchor defined before it`);
        return 1;
      }
      if (open.has(target)) {
        add(node, `alias *${node.source} refers to a node that contains it (a cycle)`);
        return 1;
      }
      return size(target, depth + 1);
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let n = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        n += isPair(item) ? size(item.key, depth + 1) + size(item.value, depth + 1) : size(item, depth + 1);
        if (n > MAX_EXPANDED_VALUES) break;
      }
    }
    open.delete(node);
    sizes.set(node, n);
    return n;
  };
  const total = size(doc.contents, 0);
  if (!issues.length && total > MAX_EXPANDED_VALUES) {
    issues.push({ file, ...at(firstAlias), path: '', message: `aliases expand the document to more than ${MAX_EXPANDED_VALUES} values (an alias bomb?)` });
  }
  return issues;
}

/** `faults[1].latency` -> ['faults', 1, 'latency']. */
export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** An IssueSink that stamps each issue with the file, line and column of its path. */
export function documentSink(doc: SourceDocument | undefined, file: string, issues: Issue[], prefix = ''): IssueSink {
  return {
    add(path, message, expected) {
      const full = joinPath(prefix, path);
      // A file always gets a position: a field nowhere in it (an empty document) is reported at its start.
      const pos = doc ? (doc.positionOf(full) ?? { line: 1, column: 1 }) : undefined;
      issues.push({ file, ...(pos ? { line: pos.line, column: pos.column } : {}), path: full, message, ...(expected ? { expected } : {}) });
    },
    at(p) {
      return documentSink(doc, file, issues, joinPath(prefix, p));
    },
    get count() {
      return issues.length;
    },
  };
}
