import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorCode, firstLineOf, WinnowError } from '../errors.js';

/** What a route's handler gets: the path's parameters, the query string and the body. */
export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The body parsed as JSON (an empty body is `{}`). */
  json(): Promise<Record<string, unknown>>;
}

/** A handler returns a value to send as JSON, or RESPONDED when it wrote the response itself. */
export const RESPONDED = Symbol('responded');
export type Handler = (context: RequestContext) => Promise<unknown>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
}

/** `/api/datasets/:name/samples` → a route whose `name` is a path parameter. */
export function route(method: Route['method'], path: string, handler: Handler): Route {
  const source = path.replace(/:(\w+)/g, (_, name: string) => `(?<${name}>[^/]+)`);
  return { method, pattern: new RegExp(`^${source}$`), handler };
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  invalid_input: 400,
  refused_sql: 400,
  not_found: 404,
  already_exists: 409,
  cancelled: 409,
  permission_denied: 403,
  unauthenticated: 502,
  unavailable: 502,
  query_timeout: 504,
  schema_too_new: 500,
};

/** Headers on every answer: nothing is cached, sniffed, or leaks the URL (and its token) as a referrer. */
export const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
  response.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  response.end(body);
}

export function sendBytes(response: ServerResponse, bytes: Uint8Array, contentType: string): void {
  response.writeHead(200, {
    ...BASE_HEADERS,
    'content-type': contentType,
    'content-length': bytes.byteLength,
  });
  response.end(bytes);
}

/** An error as `{error: {code, message}}` with the status its code calls for. */
export function sendError(response: ServerResponse, error: unknown): void {
  const code: ErrorCode = error instanceof WinnowError ? error.code : 'internal';
  const message = error instanceof WinnowError ? error.message : `unexpected error: ${firstLineOf(error)}`;
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, STATUS[code] ?? 500, { error: { code, message } });
}

const MAX_BODY = 16 * 1024 * 1024;

export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new WinnowError('invalid_argument', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (!size) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new WinnowError('invalid_argument', 'request body: expected a JSON object');
}
