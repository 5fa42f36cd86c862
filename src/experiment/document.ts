import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { joinPath, type Issue, type IssueSink } from './issues.js';

/** A parsed YAML or JSON document that can say where any field path sits in the source. */
export interface SourceDocument {
  file: string;
  data: unknown;
  /** Syntax errors; when non-empty `data` must not be used. */
  syntaxIssues: Issue[];
  positionOf(path: string): { line: number; column: number } | undefined;
}

/** JSON is parsed by the YAML parser too (YAML 1.2 is a superset), so both get the same positions. */
export function parseSource(text: string, file: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxIssues: Issue[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, path: '', message: `syntax error: ${e.message.split('\n')[0]}` };
  });
  return {
    file,
    data: syntaxIssues.length ? undefined : doc.toJS({ maxAliasCount: 100 }),
    syntaxIssues,
    positionOf(path) {
      const parts = splitPath(path);
      // Walk up until a node exists: a missing field is reported at its parent.
      for (let n = parts.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(parts.slice(0, n), true);
        if (isNode(node) && node.range) {
          // For a key's value, point at the key when possible (more natural in editors).
          const p = lineCounter.linePos(node.range[0]);
          return { line: p.line, column: p.col };
        }
      }
      return undefined;
    },
  };
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
      const pos = doc?.positionOf(full);
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
