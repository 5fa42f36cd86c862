import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TargetServer {
  url: string;
  port: number;
  requests: number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 whose answer the test decides per request (status, delay, body),
 * used as the system under test.
 */
export async function startTarget(
  behave: (req: IncomingMessage) => { status?: number; delayMs?: number; body?: string } | Promise<{ status?: number; delayMs?: number; body?: string }> = () => ({}),
): Promise<TargetServer> {
  const state = { requests: 0 };
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    req.resume();
    const b = await behave(req);
    const send = (): void => {
      res.writeHead(b.status ?? 200, { 'content-type': 'text/plain' });
      res.end(b.body ?? 'ok');
    };
    if (b.delayMs) setTimeout(send, b.delayMs);
    else send();
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return state.requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
