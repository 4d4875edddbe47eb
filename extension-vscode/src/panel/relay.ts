import { viewRequestRefusal } from '../../../core/src/contract/view-routes.js';
import { WinnowError } from '../../../core/src/errors.js';
import { VIEW_ORIGIN_HEADER } from '../../../core/src/server/origin.js';
import type { RuntimeInfo } from '../../../core/src/server/runtime.js';

/** A view's request as the webview sends it: a method, a path under the server's root, a JSON body. */
export interface ViewRequest {
  method: string;
  path: string;
  body?: unknown;
}

/** The server's answer as it came: status, content type and bytes (JSON, Arrow IPC, an image). */
export interface RelayedAnswer {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/**
 * Sends one request of a view to the server, if it is one the views make (core's VIEW_ROUTES),
 * with the token, which the webview never sees, and the view-origin header, which the webview
 * cannot leave out (the server then refuses it anything naming a local path). A refused request
 * is answered as the server answers errors, so the views handle both alike. Throws an
 * `unavailable` WinnowError when the server does not answer, for the caller to reconnect.
 */
export async function relayViewRequest(
  server: Pick<RuntimeInfo, 'url' | 'token'>,
  request: ViewRequest,
  signal?: AbortSignal,
): Promise<RelayedAnswer> {
  const refusal = viewRequestRefusal(request.method, request.path, request.body, 'the extension');
  if (refusal) return errorAnswer(refusal.status, refusal.code, refusal.message);
  let response: Response;
  try {
    response = await fetch(`${server.url}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${server.token}`,
        [VIEW_ORIGIN_HEADER]: 'view',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      redirect: 'error',
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw new WinnowError('cancelled', 'the view was closed');
    throw new WinnowError(
      'unavailable',
      `the workspace's server at ${server.url} did not answer: ${(error as Error).message}`,
    );
  }
  // A 502 is a proxy's word for a server gone: reconnect as for a refused connection.
  if (response.status === 502)
    throw new WinnowError('unavailable', `the workspace's server at ${server.url} answered 502`);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** An error answer in the server's own form (`{"error": {code, message}}`). */
export function errorAnswer(status: number, code: string, message: string): RelayedAnswer {
  return {
    status,
    contentType: 'application/json',
    body: new TextEncoder().encode(JSON.stringify({ error: { code, message } })),
  };
}
