import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WinnowError } from '../errors.js';
import type { Workspace } from '../store/workspace.js';
import { apiRoutes } from './api.js';
import { isLoopbackHost, newToken, tokenMatches } from './auth.js';
import { RESPONDED, type Route, readJson, sendError, sendJson } from './http.js';
import { Jobs } from './jobs.js';
import { type RuntimeInfo, removeRuntime, writeRuntime } from './runtime.js';
import { Thumbnails } from './thumbnails.js';
import { Usage } from './usage.js';

export interface LocalServer {
  url: string;
  port: number;
  /** Required on every request: `Authorization: Bearer <token>`, or `?token=` where no header can be set (an image's src, an EventSource). */
  token: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** The port (default: a free one). */
  port?: number;
  /** Calls `onIdle` once no client has used the server this long (see Usage); never when absent. */
  idleTimeoutMs?: number;
  onIdle?: () => void;
}

/**
 * Serves a workspace on 127.0.0.1 (a random port unless given). Every request needs the token
 * and a loopback Host header; no CORS header is ever sent, so other origins cannot read answers.
 * Its runtime file (port, token, pid; mode 0600) lets other local clients find it.
 */
export async function startServer(ws: Workspace, options: ServerOptions = {}): Promise<LocalServer> {
  const token = newToken();
  const jobs = new Jobs();
  const usage = new Usage(() => jobs.busy());
  const thumbnails = new Thumbnails(ws);
  const routes = apiRoutes(ws, jobs, thumbnails, {
    idleMs: () => usage.idleMs(),
    idleTimeoutMs: options.idleTimeoutMs,
  });
  const server = createServer((request, response) => {
    handle(routes, token, port(), usage, request, response).catch((error) => sendError(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = () => (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port()}`;
  const info: RuntimeInfo = {
    url,
    port: port(),
    token,
    pid: process.pid,
    workspace: ws.dir,
    started: new Date().toISOString(),
  };
  writeRuntime(info);
  const { idleTimeoutMs, onIdle } = options;
  const stopWatching = idleTimeoutMs && onIdle ? usage.watch(idleTimeoutMs, onIdle) : () => undefined;
  return {
    url,
    port: port(),
    token,
    close: async () => {
      stopWatching();
      removeRuntime(ws.dir);
      await Promise.all([jobs.close(), thumbnails.close()]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(
  routes: Route[],
  token: string,
  port: number,
  usage: Usage,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (!isLoopbackHost(request.headers.host, port)) {
    sendJson(response, 403, {
      error: { code: 'permission_denied', message: 'the Host header must name 127.0.0.1 or localhost' },
    });
    return;
  }
  const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!tokenMatches(bearer ?? url.searchParams.get('token') ?? undefined, token)) {
    sendJson(response, 401, { error: { code: 'unauthenticated', message: 'a valid token is required' } });
    return;
  }
  if (url.pathname !== '/api/health') response.once('close', usage.begin());
  checkEncoding(url.pathname);
  const match = findRoute(routes, request.method ?? 'GET', url.pathname);
  if (!match) throw new WinnowError('not_found', `no ${request.method} ${url.pathname}`);
  const result = await match.route.handler({
    request,
    response,
    params: match.params,
    query: url.searchParams,
    json: () => readJson(request),
  });
  if (result !== RESPONDED) sendJson(response, 200, result);
}

/** The routes decode names from the path (a dataset, a tag): a malformed escape is the request's fault. */
function checkEncoding(path: string): void {
  try {
    decodeURIComponent(path);
  } catch {
    throw new WinnowError(
      'invalid_argument',
      `malformed %-encoding in the path ${path}: each % starts two hex digits of UTF-8 (a space is %20)`,
    );
  }
}

function findRoute(routes: Route[], method: string, path: string) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(path);
    if (found) return { route, params: { ...found.groups } as Record<string, string> };
  }
  return undefined;
}
