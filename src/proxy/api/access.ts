import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ApiError } from './errors.js';

/** Who may call the API: beyond Toxiproxy's browser check, a Host check and an optional bearer token. */
export interface ApiAccess {
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Host names (lower case) the API answers to besides IP literals: its own host, `localhost`, the machine name. */
  hosts: Set<string>;
}

/**
 * Refuses, in this order: a browser (`User-Agent: Mozilla/...`, any case), as Toxiproxy's CSRF guard;
 * a Host header naming something other than this server (a DNS rebinding page reaches the API under
 * its own name); a missing or wrong bearer token when the server has one.
 */
export function checkAccess(access: ApiAccess, req: IncomingMessage, res: ServerResponse): void {
  if (/^mozilla\//i.test(req.headers['user-agent'] ?? '')) throw new ApiError('User agent not allowed', 403);
  const host = hostOf(req.headers.host);
  if (host !== undefined && isIP(host) === 0 && !access.hosts.has(host)) throw new ApiError(`Host not allowed: ${host}`, 403);
  if (access.token !== undefined && !tokenMatches(req.headers.authorization, access.token)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="firebreak proxy"');
    throw new ApiError('unauthorized: a bearer token is required (Authorization: Bearer <token>)', 401);
  }
}

/** `Host: [::1]:8474` -> `::1`; `Host: Example.COM:80` -> `example.com`. */
function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([^\]]+)\](?::\d*)?$/.exec(h);
  if (v6) return v6[1];
  return h.replace(/:\d*$/, '').replace(/\.$/, '');
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
