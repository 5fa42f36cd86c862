import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PromRequest {
  endpoint: string;
  params: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

export interface PromReply {
  status?: number;
  /** JSON body, or raw text when a string. */
  body: unknown;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

/** A real HTTP server speaking the Prometheus HTTP API's JSON shapes, answering from `answer`. */
export async function startFakePrometheus(answer: (req: PromRequest) => PromReply) {
  const seen: PromRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^(?:\/[\w-]+)?\/api\/v1\/(query|query_range)$/.exec(url.pathname);
    req.resume();
    if (!m) {
      res.statusCode = 404;
      res.end('404 page not found\n');
      return;
    }
    const r: PromRequest = { endpoint: m[1]!, params: url.searchParams, headers: req.headers };
    seen.push(r);
    const reply = answer(r);
    if (reply.hang) return;
    res.statusCode = reply.status ?? 200;
    res.setHeader('content-type', typeof reply.body === 'string' ? 'text/plain' : 'application/json');
    res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const vector = (result: { metric?: Record<string, string>; value: string }[], at = 1_700_000_000.123): PromReply => ({
  body: { status: 'success', data: { resultType: 'vector', result: result.map((r) => ({ metric: r.metric ?? {}, value: [at, r.value] })) } },
});

export const scalar = (value: string, at = 1_700_000_000): PromReply => ({
  body: { status: 'success', data: { resultType: 'scalar', result: [at, value] } },
});

export const matrix = (result: { metric: Record<string, string>; values: [number, string][] }[]): PromReply => ({
  body: { status: 'success', data: { resultType: 'matrix', result } },
});

export const promError = (status: number, errorType: string, error: string): PromReply => ({
  status,
  body: { status: 'error', errorType, error },
});
