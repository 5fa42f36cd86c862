import { stripIllegal } from './xml.js';

/** Any user-supplied text for HTML (titles, checks, observed values, reasons): escaped, control characters dropped. */
export function esc(s: unknown): string {
  return stripIllegal(String(s ?? '')).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
