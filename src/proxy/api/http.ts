import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, apiErrors } from './errors.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads and parses a JSON request body; Toxiproxy's `bad request body: ...` on any problem. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(`request body larger than ${MAX_BODY_BYTES} bytes`, 413);
    parts.push(part as Buffer);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw apiErrors.badRequestBody('EOF');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw apiErrors.badRequestBody((err as Error).message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

export function sendError(res: ServerResponse, err: ApiError, extra?: Record<string, unknown>): void {
  sendJson(res, err.status, { ...err.toJSON(), ...extra });
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
