/**
 * How a view reaches the local server. The views never know where the server is: in JupyterLab the
 * kernel package relays each request over the widget comm, in VS Code the extension host relays it
 * over postMessage, and the tests' page hands it to Node through a Playwright binding.
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
