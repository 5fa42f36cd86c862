import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startCli, waitCli, waitFor } from '../../test/helpers/cli.js';
import { startTarget } from '../../test/helpers/http-target.js';

/** What fuzzing the proxy's API and HTTP data path found, against a real `firebreak proxy` process. */
export interface ProxyFuzzReport {
  requests: number;
  api: number;
  dataPath: number;
  /** The proxy process exited. */
  crashes: number;
  /** No answer (nor a close) within the limit. */
  hangs: number;
  /** 5xx answers from the API other than a listener that could not bind. */
  serverErrors: number;
  failures: { index: number; why: string; request: string }[];
}

type Req = { target: 'api' | 'data'; bytes: Buffer };

const NAMES = ['p0', 'p1', 'p2', '.', '..', '%zz', 'a%2Fb', '\uD800', 'x'.repeat(300), 'web', ''];
const TOXICS = ['latency', 'timeout', 'bandwidth', 'slicer', 'limit_data', 'reset_peer', 'slow_close', 'noop', 'http_abort', 'http_latency', 'nope', ''];

const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    name: fc.constantFrom(...NAMES.filter((n) => n !== 'web')),
    upstream: fc.constantFrom('127.0.0.1:9', ':8080', '', 'x', '[::1]:9', '127.0.0.1:0', 'localhost:99999', 1),
    listen: fc.constantFrom('127.0.0.1:0', '0.0.0.0:0', '[::]:0', 'abc', ':::', '127.0.0.1:99999', '', null, 5),
    enabled: fc.constantFrom(true, false, 'yes', null),
    cohort: fc.constantFrom(undefined, null, {}, { mode: 'http', key: 'cookie:s', canary: 0.5, salt: 'x' }, { key: 'header:', canary: 2 }),
  }, { requiredKeys: [] }),
  fc.record({
    type: fc.constantFrom(...TOXICS),
    name: fc.constantFrom('t0', 't1', '', '..', '\uDC00'),
    stream: fc.constantFrom('upstream', 'downstream', '', 'UP', 7, null),
    toxicity: fc.constantFrom(0, 0.5, 1, 2, -1, '1', null),
    attributes: fc.dictionary(fc.constantFrom('latency', 'jitter', 'timeout', 'rate', 'delay', 'bytes', 'status', 'cohort', 'average_size'), fc.oneof(fc.integer(), fc.constantFrom(2 ** 31, 2 ** 53, -1, 1.5, 'x', null, 'canary'))),
  }, { requiredKeys: [] }),
  fc.array(fc.record({ name: fc.constantFrom('p0', 'p1', 'p1'), upstream: fc.constantFrom('127.0.0.1:9', ':1'), listen: fc.constantFrom('127.0.0.1:0', 'bad') }), { maxLength: 3 }),
  fc.anything({ maxDepth: 3 }),
);

const apiRequest: fc.Arbitrary<Req> = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD', 'BREW'),
    fc.constantFrom('/proxies', '/proxies/{n}', '/proxies/{n}/toxics', '/proxies/{n}/toxics/{t}', '/proxies/{n}/signals', '/populate', '/reset', '/version', '/metrics', '/{n}', '/proxies/%', '//proxies'),
    fc.constantFrom(...NAMES),
    fc.constantFrom('t0', 't1', '%E0%A4%A', 'latency_downstream'),
    fc.oneof(jsonish.map((v) => JSON.stringify(v) ?? ''), fc.string({ maxLength: 200 }), fc.constantFrom('', '{', '[', 'null', '{"name": "p0", "upstream": "127.0.0.1:9"'), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))),
    fc.constantFrom('firebreak-fuzz', 'Mozilla/5.0', 'mozilla/5.0', 'MOZILLA', ''),
    fc.constantFrom('127.0.0.1', 'localhost', 'evil.example', '[::1]', ''),
  )
  .map(([method, template, name, toxic, body, agent, host]) => {
    const path = template.replace('{n}', encodeName(name)).replace('{t}', toxic);
    const payload = Buffer.from(body, 'latin1');
    const head = `${method} ${path} HTTP/1.1\r\n${host ? `Host: ${host}\r\n` : ''}${agent ? `User-Agent: ${agent}\r\n` : ''}Content-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
    return { target: 'api' as const, bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]) };
  });

const cookieValue = fc.oneof(
  fc.constantFrom('%zz', '%', '%E0%A4%A', '%uD800', '%%%', '%00', '%C0%AF', ';;;', '=', '"', '\\', 'a'.repeat(8000)),
  fc.string({ maxLength: 64 }),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1').replace(/[\r\n]/g, '')),
);

const dataRequest: fc.Arbitrary<Req> = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE', 'OPTIONS', 'CONNECT', 'PRI', 'G E T'),
    fc.oneof(fc.constantFrom('/', '/a?b=%zz', '*', '//', '/%', 'http://127.0.0.1:1/x'), fc.string({ maxLength: 100 }).map((s) => `/${s.replace(/[\s]/g, '')}`)),
    fc.array(cookieValue, { minLength: 1, maxLength: 3 }),
    fc.array(fc.tuple(fc.constantFrom('X-User', 'x-user-id', 'Transfer-Encoding', 'Upgrade', 'Expect', 'Content-Length', 'X-\u00ff', 'Host'), fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''))), { maxLength: 3 }),
    fc.oneof(fc.constant(''), fc.string({ maxLength: 500 }), fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('latin1'))),
    fc.boolean(),
  )
  .map(([method, path, cookies, headers, body, garbage]) => {
    if (garbage) return { target: 'data' as const, bytes: Buffer.from(`${method} ${path}\r\n${body}`, 'latin1') };
    const payload = Buffer.from(body, 'latin1');
    const extra = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookies.map((c, i) => `${i === 0 ? 'session' : `c${i}`}=${c}`).join('; ')}\r\n${extra}Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
    return { target: 'data' as const, bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]) };
  });

// A lone surrogate has no UTF-8 form: sent as the bytes a careless client would send.
function encodeName(name: string): string {
  try {
    return encodeURIComponent(name).replace(/%25/g, '%');
  } catch {
    return '%ED%A0%80';
  }
}

/** Sends raw bytes, half-closes, and waits for the peer to close (whatever it answered). */
function exchange(port: number, bytes: Buffer, limitMs: number): Promise<{ text: string; hang: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, hang: true });
    }, limitMs);
    socket.on('data', (d: Buffer) => {
      if (text.length < 4096) text += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, hang: false });
    });
    socket.on('connect', () => socket.end(bytes));
  });
}

/**
 * Starts a real `firebreak proxy` (its own process, so a crash is seen as an exit) with a cohort-mode
 * proxy keyed on a cookie in front of a local HTTP server, then sends `count` generated requests
 * (fixed seed), about half to the API and half through the data path.
 */
export async function fuzzProxy(opts: { count: number; seed: number; dir: string; hangMs?: number }): Promise<ProxyFuzzReport> {
  const hangMs = opts.hangMs ?? 5_000;
  const target = await startTarget();
  const config = join(opts.dir, 'proxies.json');
  writeFileSync(config, JSON.stringify([{ name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}`, cohort: { mode: 'http', key: 'cookie:session', canary: 0.4, control: 0.3, salt: 'fuzz' } }]));
  const proxy = startCli(['proxy', '--port', '0', '--config', config], { env: { FIREBREAK_LOG_LEVEL: 'silent' } });
  const report: ProxyFuzzReport = { requests: 0, api: 0, dataPath: 0, crashes: 0, hangs: 0, serverErrors: 0, failures: [] };
  try {
    await waitFor('the proxy API', () => proxy.out.stdout.includes('\n') || proxy.exitCode !== null, 30_000);
    const apiPort = Number(new URL(proxy.out.stdout.split('\n')[0]!).port);
    const dataPort = async (): Promise<number | undefined> => {
      const r = await fetch(`http://127.0.0.1:${apiPort}/proxies/web`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      if (!r?.ok) return undefined;
      return Number(String(((await r.json()) as { listen: string }).listen).split(':').pop());
    };
    let port = await dataPort();
    const all = fc.sample(fc.oneof(apiRequest, dataRequest), { seed: opts.seed, numRuns: opts.count });
    for (const [index, req] of all.entries()) {
      if (proxy.exitCode !== null) {
        report.crashes++;
        report.failures.push({ index, why: `the proxy process exited (${proxy.exitCode ?? proxy.signalCode}): ${proxy.out.stderr.slice(-300)}`, request: '' });
        break;
      }
      report.requests++;
      if (req.target === 'api') report.api++;
      else report.dataPath++;
      const to = req.target === 'api' ? apiPort : port;
      if (to === undefined) continue;
      const r = await exchange(to, req.bytes, hangMs);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(r.text)?.[1] ?? 0);
      const shown = req.bytes.subarray(0, 200).toString('latin1');
      if (r.hang) {
        report.hangs++;
        if (report.failures.length < 10) report.failures.push({ index, why: 'no answer', request: shown });
      } else if (req.target === 'api' && status >= 500 && !/listen tcp/.test(r.text)) {
        report.serverErrors++;
        if (report.failures.length < 10) report.failures.push({ index, why: r.text.split('\r\n\r\n')[1]?.slice(0, 200) ?? String(status), request: shown });
      }
      // The fuzzer may delete or change the data-path proxy through the API: put it back.
      if (req.target === 'api' && index % 50 === 0) {
        port = await dataPort();
        if (port === undefined) {
          await fetch(`http://127.0.0.1:${apiPort}/populate`, { method: 'POST', body: await import('node:fs').then((f) => f.readFileSync(config, 'utf8')), signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
          port = await dataPort();
        }
      }
    }
    if (proxy.exitCode === null) {
      const alive = await fetch(`http://127.0.0.1:${apiPort}/version`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.ok, () => false);
      if (!alive) {
        report.hangs++;
        report.failures.push({ index: -1, why: 'the API stopped answering', request: '' });
      }
    } else if (!report.crashes) report.crashes++;
  } finally {
    proxy.kill('SIGTERM');
    await waitCli(proxy, 15_000).catch(() => proxy.kill('SIGKILL'));
    await target.close();
  }
  return report;
}
