import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Expands a path pattern relative to `baseDir`: `*` and `?` match within one path segment, `**` any
 * number of segments. A pattern without wildcards is returned as it is (resolved), whether or not it
 * exists (the loader reports a missing file). Matches are sorted, so a suite runs in a stable order.
 */
export function expandGlob(pattern: string, baseDir: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  if (!/[*?]/.test(pattern)) return [absolute];
  const parts = absolute.split(sep);
  const first = parts.findIndex((p) => /[*?]/.test(p));
  const root = parts.slice(0, first).join(sep) || sep;
  const matcher = segmentsMatcher(parts.slice(first));
  const out: string[] = [];
  walk(root, [], matcher, out, 0);
  return out.sort((a, b) => relative(root, a).localeCompare(relative(root, b)));
}

type Matcher = (segments: string[], isDir: boolean) => 'match' | 'descend' | 'no';

function segmentsMatcher(pattern: string[]): Matcher {
  const res = pattern.map((p) => (p === '**' ? undefined : new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`)));
  // Whether `segments` (a path below the root) can be matched exactly, or may still match deeper.
  const test = (segs: string[], i: number, j: number): { full: boolean; prefix: boolean } => {
    if (j === segs.length) return { full: i === res.length || res.slice(i).every((r) => r === undefined), prefix: true };
    if (i === res.length) return { full: false, prefix: false };
    const r = res[i];
    if (r === undefined) {
      const skip = test(segs, i + 1, j);
      const eat = test(segs, i, j + 1);
      return { full: skip.full || eat.full, prefix: skip.prefix || eat.prefix };
    }
    return r.test(segs[j]!) ? test(segs, i + 1, j + 1) : { full: false, prefix: false };
  };
  return (segs, isDir) => {
    const t = test(segs, 0, 0);
    if (t.full && !isDir) return 'match';
    return isDir && t.prefix ? 'descend' : 'no';
  };
}

function walk(dir: string, segs: string[], matcher: Matcher, out: string[], depth: number): void {
  if (depth > 20) return;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      continue;
    }
    const next = [...segs, name];
    const m = matcher(next, isDir);
    if (m === 'match') out.push(path);
    else if (m === 'descend') walk(path, next, matcher, out, depth + 1);
  }
}
