import { ApiError } from './status.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** RFC 6902 JSON Patch. A failed `test` or a missing path is 422 Invalid, a malformed patch 400, as the API server answers. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out = clone(doc);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new ApiError(400, 'BadRequest', `invalid JSON Patch operation ${JSON.stringify(raw)}`);
    const op = raw.op;
    const path = parsePointer(raw.path);
    switch (op) {
      case 'add':
        out = put(out, path, clone(raw.value), 'add');
        break;
      case 'replace':
        get(out, path, 'replace');
        out = put(out, path, clone(raw.value), 'replace');
        break;
      case 'remove':
        get(out, path, 'remove');
        out = remove(out, path);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw new ApiError(400, 'BadRequest', `${op} operation needs "from"`);
        const from = parsePointer(raw.from);
        const value = clone(get(out, from, op));
        if (op === 'move') out = remove(out, from);
        out = put(out, path, value, 'add');
        break;
      }
      case 'test': {
        let current: unknown;
        try {
          current = get(out, path, 'test');
        } catch {
          current = undefined;
        }
        if (!deepEqual(current, raw.value)) throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [{ reason: 'FieldValueInvalid', message: `Testing value ${raw.path} failed`, field: raw.path }] });
        break;
      }
      default:
        throw new ApiError(400, 'BadRequest', `Unexpected kind: ${op}`);
    }
  }
  return out;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new ApiError(400, 'BadRequest', `invalid JSON pointer ${JSON.stringify(p)}`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function missing(op: string, path: string[]): ApiError {
  return new ApiError(422, 'Invalid', `jsonpatch ${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
}

function get(doc: unknown, path: string[], op: string): unknown {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      if (!/^\d+$/.test(seg) || i >= cur.length) throw missing(op, path);
      cur = cur[i];
    } else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, seg)) cur = cur[seg];
    else throw missing(op, path);
  }
  return cur;
}

function put(doc: unknown, path: string[], value: unknown, op: 'add' | 'replace'): unknown {
  if (path.length === 0) return value;
  const parent = get(doc, path.slice(0, -1), op);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    if (last === '-' && op === 'add') parent.push(value);
    else {
      const i = Number(last);
      if (!/^\d+$/.test(last) || i > parent.length || (op === 'replace' && i === parent.length)) throw missing(op, path);
      if (op === 'add') parent.splice(i, 0, value);
      else parent[i] = value;
    }
  } else if (isObj(parent)) parent[last] = value;
  else throw missing(op, path);
  return doc;
}

function remove(doc: unknown, path: string[]): unknown {
  const parent = get(doc, path.slice(0, -1), 'remove');
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObj(parent)) delete parent[last];
  return doc;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386 JSON Merge Patch: maps merge, null deletes, everything else (lists too) replaces. */
export function mergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(doc) ? clone(doc) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Lists merged by a key in a strategic merge patch (the patchMergeKey of the built-in types that firebreak and kubectl touch). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
};

/**
 * Strategic merge patch, as far as built-in objects need it: maps merge, null deletes, lists with a
 * patch merge key merge by it (`$patch: delete` removes an element, `$patch: replace` replaces the
 * list), other lists replace; `$setElementOrder`, `$retainKeys` directives are accepted and dropped.
 */
export function strategicMergePatch(doc: unknown, patch: unknown, field?: string): unknown {
  if (Array.isArray(patch)) return mergeList(doc, patch, field);
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(doc) ? clone(doc) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[name]) && Array.isArray(v)) out[name] = (out[name] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) delete out[k];
    else {
      const merged = strategicMergePatch(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

function mergeList(doc: unknown, patch: unknown[], field?: string): unknown[] {
  const key = field ? MERGE_KEYS[field] : undefined;
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) return clone(patch.filter((e) => !(isObj(e) && e.$patch === 'replace')));
  if (!key || !Array.isArray(doc)) return clone(patch.filter((e) => !(isObj(e) && e.$patch === 'delete')));
  const out = clone(doc) as unknown[];
  for (const el of patch) {
    if (!isObj(el)) continue;
    const i = out.findIndex((x) => isObj(x) && x[key] === el[key]);
    if (el.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], el);
    else out.push(strategicMergePatch(undefined, el));
  }
  return out;
}
