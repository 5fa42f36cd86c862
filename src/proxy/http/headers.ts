// Hop-by-hop headers (RFC 9110 7.6.1, plus the legacy Keep-Alive and Proxy-Connection): they describe one
// connection, so a proxy consumes them instead of forwarding them.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export const VIA = '1.1 firebreak';

/**
 * Copies raw headers (`[name, value, name, value...]`, original case, order and repeats kept) without the
 * hop-by-hop ones, nor any header the Connection header names, nor those in `drop` (lower case).
 */
export function endToEndHeaders(raw: readonly string[], drop: ReadonlySet<string> = new Set()): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || drop.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

// The proxy answers `Expect: 100-continue` itself (node:http does), so the expectation is not forwarded.
const REQUEST_DROP = new Set(['expect']);

/**
 * Headers for the request forwarded upstream: end-to-end headers, the framing the body needs (a chunked
 * body whose Transfer-Encoding was consumed is re-chunked), and the `Via` a gateway must add.
 */
export function upstreamRequestHeaders(raw: readonly string[], hasChunkedBody: boolean): string[] {
  const out = endToEndHeaders(raw, REQUEST_DROP);
  if (hasChunkedBody && !out.some((_, i) => i % 2 === 0 && out[i]!.toLowerCase() === 'content-length')) {
    out.push('Transfer-Encoding', 'chunked');
  }
  const via = out.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === 'via');
  if (via >= 0) out[via + 1] = `${out[via + 1]}, ${VIA}`;
  else out.push('Via', VIA);
  return out;
}
