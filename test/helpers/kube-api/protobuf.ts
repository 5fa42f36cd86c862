/**
 * Just enough of the Kubernetes protobuf encoding for the one body some kubectl builds send as protobuf
 * (`kubectl auth can-i`: a SelfSubjectAccessReview). The envelope is the magic `k8s\0` and a
 * runtime.Unknown { typeMeta(1) { apiVersion(1), kind(2) }, raw(2) }; the review is
 * { metadata(1), spec(2) { resourceAttributes(1) { namespace(1), verb(2), group(3), version(4),
 * resource(5), subresource(6), name(7) } } }. Anything else is undefined (the caller answers 415).
 */
type Fields = Map<number, Buffer[]>;

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 0) varint();
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new Error('truncated field');
      const list = out.get(field) ?? [];
      list.push(buf.subarray(i, i + len));
      out.set(field, list);
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => f.get(n)?.[0]?.toString('utf8');

/** The JSON form of a protobuf-encoded SelfSubjectAccessReview, or undefined for anything else. */
export function decodeAccessReview(body: Buffer): Record<string, unknown> | undefined {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') return undefined;
  try {
    const unknown = fields(body.subarray(4));
    const typeMeta = fields(unknown.get(1)?.[0] ?? Buffer.alloc(0));
    if (str(typeMeta, 2) !== 'SelfSubjectAccessReview') return undefined;
    const review = fields(unknown.get(2)?.[0] ?? Buffer.alloc(0));
    const spec = fields(review.get(2)?.[0] ?? Buffer.alloc(0));
    const ra = spec.get(1)?.[0];
    const names = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
    const resourceAttributes = ra ? Object.fromEntries(names.map((n, k) => [n, str(fields(ra), k + 1)]).filter(([, v]) => v !== undefined)) : undefined;
    return { apiVersion: str(typeMeta, 1) ?? 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: resourceAttributes ? { resourceAttributes } : {} };
  } catch {
    return undefined;
  }
}
