import { isIPv6 } from 'node:net';

export interface HostPort {
  /** Empty for "all interfaces" (`:8080`). */
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port` or `:port` (Go's net address syntax). */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && !isIPv6(host)) return undefined;
  return { host, port };
}

/** Formats an address as Go does: IPv6 in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${isIPv6(host) || host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The host to bind for a listen address: `localhost` binds IPv4 loopback first, as Toxiproxy reports it. */
export function bindHost(host: string): string | undefined {
  if (host === '') return undefined;
  if (host === 'localhost') return '127.0.0.1';
  return host;
}

/** A Toxiproxy-style error text for a failed bind: `listen tcp 127.0.0.1:80: bind: address already in use`. */
export function listenErrorText(address: string, err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    EADDRINUSE: 'bind: address already in use',
    EACCES: 'bind: permission denied',
    EADDRNOTAVAIL: 'bind: cannot assign requested address',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'temporary failure in name resolution',
  };
  return `listen tcp ${address}: ${why[err.code ?? ''] ?? err.message}`;
}
