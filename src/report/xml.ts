/**
 * Text for XML 1.0: characters the format forbids (C0 controls other than tab, newline and carriage
 * return, lone surrogates, U+FFFE and U+FFFF) are dropped, and markup characters escaped. A journal
 * may hold any bytes a probe read (a command's output, a response body).
 */
export function xmlText(s: string): string {
  return stripIllegal(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The same for an attribute value (quotes and line breaks escaped too). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

export function stripIllegal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}
