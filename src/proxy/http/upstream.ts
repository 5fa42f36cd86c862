import http from 'node:http';

export interface UpstreamAddress {
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseUpstream(text: string): UpstreamAddress {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 1 || port > 65535) throw new TypeError(`upstream must be host:port, got "${text}"`);
  return { host: m[1], port };
}

/** A keep-alive pool of upstream connections. */
export function createUpstreamAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' });
}
