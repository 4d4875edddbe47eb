/**
 * How a view reaches the local server. The views never know where the server is: in JupyterLab the
 * kernel package relays each request over the widget comm, in VS Code the extension host relays it
 * over postMessage, and in a plain page (tests, benchmarks) it goes straight over HTTP.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: Method;
  /** Path and query under the server's root, e.g. `/api/datasets/coco/samples?offset=0&limit=100`. */
  path: string;
  /** A JSON body (POST, PUT and PATCH). */
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  /** The answer's bytes: JSON, an Arrow IPC stream or an image. */
  body: ArrayBuffer;
}

export interface Transport {
  request(request: ApiRequest): Promise<ApiResponse>;
}

/** A transport straight over HTTP, for a page that can reach the server (tests, benchmarks, tools). */
export function httpTransport(baseUrl: string, token: string): Transport {
  return {
    async request({ method, path, body }) {
      const response = await fetch(new URL(path, baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: await response.arrayBuffer(),
      };
    },
  };
}
