import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectIssues } from '../../../src/experiment/issues.js';
import { silentLogger } from '../../../src/log.js';
import { parseLoadAttrs, LoadGenerator, type LoadAttrs } from '../../../src/probes/load/index.js';
import type { IntervalByCohort } from '../../../src/signals/types.js';

export interface TestServer {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with an ephemeral port. */
export async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function loadAttrs(raw: Record<string, unknown>): LoadAttrs {
  const issues = collectIssues();
  const attrs = parseLoadAttrs(raw, issues);
  if (!attrs) throw new Error(`invalid load attributes: ${JSON.stringify(issues.issues)}`);
  return attrs;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a generator for `ms`, stops it (waiting for in-flight requests) and collects what it measured. */
export async function runLoad(
  raw: Record<string, unknown>,
  ms: number,
  during?: (gen: LoadGenerator) => Promise<void> | void,
): Promise<{ gen: LoadGenerator; intervals: IntervalByCohort }> {
  const gen = new LoadGenerator(loadAttrs(raw));
  const ac = new AbortController();
  await gen.start({ signal: ac.signal, logger: silentLogger() });
  try {
    await Promise.all([sleep(ms), during?.(gen)]);
  } finally {
    await gen.stop();
  }
  return { gen, intervals: await gen.collect() };
}
