/**
 * Errors as one readable line: what failed, then why, down the cause chain (`err.cause`, fetch's
 * `TypeError: fetch failed` and its `.cause.code`, AggregateError's `errors`, the proxy API's JSON error
 * bodies, dockerode's `statusCode` and `json.message`), each system error as `CODE where`.
 */

/** System and TLS causes users meet, with what they mean and what to do (docs/errors.md, "Causes"). */
export const CAUSES = {
  EADDRINUSE: { means: 'address already in use', hint: 'Another process already listens on that address: stop it, or choose another port.' },
  ECONNREFUSED: { means: 'connection refused', hint: 'Nothing listens at that address: start the service, or correct the address or port.' },
  ECONNRESET: { means: 'connection reset by the other side', hint: 'The other side closed the connection: check its logs, and that the address speaks the expected protocol.' },
  ETIMEDOUT: { means: 'timed out', hint: 'No answer in time: check that the host is up and reachable (firewall, route), or raise the time limit.' },
  ENOTFOUND: { means: 'no such host', hint: 'The host name does not resolve: check its spelling and the DNS settings.' },
  EAI_AGAIN: { means: 'DNS lookup failed for now', hint: 'The DNS server did not answer: check the network and the resolver, then try again.' },
  EHOSTUNREACH: { means: 'no route to host', hint: 'The host cannot be reached from here: check the address, the network and the firewall.' },
  ENETUNREACH: { means: 'network unreachable', hint: 'This machine has no route to that network: check the address and the network settings.' },
  EADDRNOTAVAIL: { means: 'address not available on this machine', hint: 'Listen on an address this machine has (127.0.0.1, or one of its interfaces).' },
  EACCES: { means: 'permission denied', hint: 'Permission denied: use a port above 1023, or a path this user may read and write.' },
  EPERM: { means: 'operation not permitted', hint: 'The operating system refused: check the user\'s permissions (root, capabilities, group membership).' },
  ENOENT: { means: 'no such file or socket', hint: 'Nothing exists at that path: for a Docker socket, check that the engine runs and what `DOCKER_HOST` names.' },
  EPIPE: { means: 'broken pipe', hint: 'The other side closed the connection while data was being written: check its logs.' },
  TLS: { means: 'TLS handshake failed', hint: 'Check the scheme (https against a plain HTTP port fails), the certificate and its CA (`target.docker.ca`, `NODE_EXTRA_CA_CERTS`), and the host name it was issued for.' },
} as const;

export type CauseCode = keyof typeof CAUSES;

/** One line for an error and every cause below it, without repeating what an outer message already says. */
export function explainError(err: unknown): string {
  let text = '';
  for (const link of chain(err)) {
    const [part, key = part] = linkText(link);
    if (!part || text.includes(key)) continue;
    text = text ? `${text}: ${part}` : part;
  }
  return text || rawMessage(err);
}

/** The known causes (system error codes, TLS) named in a text made by `explainError`, in order of appearance. */
export function causesIn(text: string): CauseCode[] {
  const found: CauseCode[] = [];
  for (const m of text.matchAll(/\b(E[A-Z_]{3,}|TLS)\b/g)) {
    const code = m[1] as CauseCode;
    if (code in CAUSES && !found.includes(code)) found.push(code);
  }
  return found;
}

/** The error, then its causes (an AggregateError's errors count as causes), at most 8 deep. */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (e === undefined || e === null || depth > 8 || out.includes(e)) return;
    out.push(e);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const x of errors) visit(x, depth + 1);
    visit((e as { cause?: unknown }).cause, depth + 1);
  };
  visit(err, 0);
  return out;
}

/** Messages that say nothing a cause below them does not say better. */
const NOISE = [/^fetch failed$/, /^Request failed with status code \d{3}$/, /^other side closed$/];

/** A link's text, and the part of it that, already said above, makes it a repetition. */
function linkText(e: unknown): [string, string?] {
  if (typeof e !== 'object' || e === null) return [String(e ?? '')];
  const x = e as { code?: unknown; message?: unknown; name?: unknown; status?: unknown; statusCode?: unknown; json?: { message?: unknown }; apiMessage?: unknown; errors?: unknown };
  if (Array.isArray(x.errors) && x.errors.length) return [''];
  const code = typeof x.code === 'string' ? x.code : undefined;
  if (code && isTlsCode(code)) return [`TLS ${code}${tlsReason(e)}`, code];
  if (code && isSystemCode(code)) return systemText(e as NodeJS.ErrnoException);
  if (x.name === 'TimeoutError') return [`ETIMEDOUT (${String(x.message ?? 'timed out')})`, 'ETIMEDOUT'];
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return [`ETIMEDOUT: ${String(x.message)}`, 'ETIMEDOUT'];
  // An HTTP API's refusal with its own words: the proxy API's JSON body, the Docker engine's json.message.
  const status = typeof x.status === 'number' ? x.status : typeof x.statusCode === 'number' ? x.statusCode : undefined;
  const said = typeof x.apiMessage === 'string' ? x.apiMessage : typeof x.json?.message === 'string' ? x.json.message : undefined;
  if (status !== undefined && said !== undefined) return [`HTTP ${status}: ${said.trim()}${recognised(said)}`, said.trim()];
  if (status !== undefined) return [`HTTP ${status}`];
  const message = rawMessage(e).trim();
  if (NOISE.some((re) => re.test(message))) return [''];
  return [message + recognised(message), message];
}

/** `ECONNREFUSED 127.0.0.1:8474`, `ENOTFOUND db.example`, `ENOENT /var/run/docker.sock`, `EADDRINUSE 127.0.0.1:19091`. */
function systemText(e: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }): [string, string] {
  const host = e.address ?? e.hostname ?? e.path;
  const where = host === undefined ? '' : ` ${e.port !== undefined ? hostPort(host, e.port) : host}`;
  const means = CAUSES[e.code as CauseCode]?.means;
  return [`${e.code}${where}${means ? ` (${means})` : ''}`, `${e.code}${where}`];
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Toxiproxy's (and `firebreak proxy`'s) listen errors reach a client as text only, Go's wording:
 * `listen tcp 127.0.0.1:19091: bind: address already in use`. The code is put back beside it.
 */
const GO_LISTEN_ERRORS: [RegExp, CauseCode][] = [
  [/bind: address already in use/, 'EADDRINUSE'],
  [/bind: permission denied/, 'EACCES'],
  [/bind: cannot assign requested address/, 'EADDRNOTAVAIL'],
];

function recognised(text: string): string {
  const at = /listen tcp ([^\s:]+:\d+|\[[^\]]+\]:\d+):/.exec(text)?.[1];
  for (const [re, code] of GO_LISTEN_ERRORS) {
    if (re.test(text) && !text.includes(code)) return ` (${code}${at ? ` ${at}` : ''})`;
  }
  return '';
}

function isSystemCode(code: string): boolean {
  return /^E[A-Z0-9_]{2,}$/.test(code) && !code.startsWith('ERR_');
}

function isTlsCode(code: string): boolean {
  return /CERT|SSL|TLS|EPROTO|HOSTNAME_MISMATCH|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
}

/** OpenSSL's reason (`wrong version number`) rather than its whole record. */
function tlsReason(e: object): string {
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === 'string' && reason) return `: ${reason}`;
  const message = rawMessage(e);
  const openssl = /:([^:]+):[^:]*\.c:\d+/.exec(message);
  if (openssl) return `: ${openssl[1]}`;
  return message && !message.includes('\n') ? `: ${message}` : '';
}

function rawMessage(e: unknown): string {
  if (e instanceof Error || (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string')) return String((e as { message: string }).message);
  return String(e);
}
