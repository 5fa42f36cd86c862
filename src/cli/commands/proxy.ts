import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { EXIT, describeError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { startProxyServer, type ProxyConfig, type ProxyServer } from '../../proxy/index.js';
import { collect, STOP_SIGNALS } from '../shared.js';

interface ProxyFlags {
  host: string;
  port: string;
  config?: string;
  token?: string;
  allowNonLoopback?: boolean;
  allowHost: string[];
}

/**
 * `firebreak proxy`: runs the embedded Toxiproxy-compatible server until SIGINT, SIGTERM, SIGHUP or SIGQUIT. Prints the API
 * URL on stdout; logs JSON to stderr. `--config` populates proxies from a Toxiproxy-style JSON array.
 */
export function proxyCommand(): Command {
  return new Command('proxy')
    .description('run the Toxiproxy-compatible proxy server (toxiproxy-cli and Toxiproxy clients work against it)')
    .option('--host <host>', 'address of the HTTP API', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP API (0: any free port)', '8474')
    .option('--config <file>', 'JSON array of proxies to create at start, as Toxiproxy\'s -config')
    .option('--token <token>', 'require Authorization: Bearer <token> on every API request (default: FIREBREAK_PROXY_TOKEN; prefer the variable, a command line is visible to other users)')
    .option('--allow-non-loopback', 'let proxies listen on addresses other than loopback (0.0.0.0, a LAN address)')
    .option('--allow-host <name>', 'another host name the API answers to (repeatable; IP literals, localhost, --host and the machine name always)', collect, [])
    .addHelpText('after', `
Speaks the Toxiproxy HTTP API (toxiproxy-cli and every Toxiproxy client work against it), plus
HTTP cohort mode and per-cohort signals. Stops on SIGINT, SIGTERM, SIGHUP or SIGQUIT.

Examples:
  firebreak proxy                                   # API on 127.0.0.1:8474
  firebreak proxy --config proxies.json --port 8474
  FIREBREAK_PROXY_TOKEN=... firebreak proxy --host 0.0.0.0 --allow-host proxy.internal`)
    .action(async (flags: ProxyFlags, cmd: Command) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(EXIT.invalid, `--port: not a port number: "${flags.port}"`);
      let proxies: ProxyConfig[] = [];
      if (flags.config) {
        const loaded = await loadConfig(flags.config);
        if (typeof loaded === 'string') return fail(EXIT.invalid, loaded);
        proxies = loaded;
      }
      const globals = cmd.optsWithGlobals() as { logLevel?: string };
      const logger = createLogger({ level: globals.logLevel ?? process.env.FIREBREAK_LOG_LEVEL ?? 'info' });
      let server: ProxyServer;
      try {
        const token = flags.token ?? (process.env.FIREBREAK_PROXY_TOKEN || undefined);
        server = await startProxyServer({
          host: flags.host, port, proxies, logger, allowHosts: flags.allowHost,
          ...(token ? { token } : {}), ...(flags.allowNonLoopback ? { allowNonLoopback: true } : {}),
        });
      } catch (err) {
        return fail(EXIT.failed, `could not start the proxy server: ${describeError(err).message}`);
      }
      process.stdout.write(`${server.url}\n`);
      const sig = await untilSignal();
      logger.info({ signal: sig }, 'stopping the proxy server');
      // Bounded: a second signal, or a close that hangs, ends the process anyway.
      const forced = new Promise<void>((resolve) => {
        const force = (): void => resolve();
        for (const s of STOP_SIGNALS) process.once(s, force);
        setTimeout(force, CLOSE_LIMIT_MS).unref();
      });
      await Promise.race([server.close(), forced]);
    });
}

/** How long a stopping server may take to hand connections their last bytes. */
const CLOSE_LIMIT_MS = 10_000;

async function loadConfig(file: string): Promise<ProxyConfig[] | string> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    return `--config ${file}: ${describeError(err).message}`;
  }
  if (!Array.isArray(data)) return `--config ${file}: expected a JSON array of proxies`;
  return data as ProxyConfig[];
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      for (const s of STOP_SIGNALS) process.off(s, on);
      resolve(sig);
    };
    for (const s of STOP_SIGNALS) process.on(s, on);
  });
}

function fail(code: number, message: string): void {
  process.stderr.write(`firebreak proxy: ${message}\n`);
  process.exitCode = code;
}
