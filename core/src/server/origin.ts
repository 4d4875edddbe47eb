import type { IncomingMessage } from 'node:http';
import { WinnowError } from '../errors.js';

/**
 * The header a relay puts on every request it passes on from a browser view (the kernel's widget
 * relay; the VS Code extension host). The browser cannot leave it out: it sends the relay a
 * method, a path and a body, never headers, and the relay adds this one itself.
 */
export const VIEW_ORIGIN_HEADER = 'x-winnow-origin';

/** Whether the request came from a browser view, through a relay: the header, whatever its value. */
export function fromView(request: IncomingMessage): boolean {
  return request.headers[VIEW_ORIGIN_HEADER] !== undefined;
}

/** A model given as a file (an .onnx, a model config) rather than by the name of a known model. */
const MODEL_FILE = /[/\\]|\.(onnx|ya?ml|json)$/i;

/**
 * Refuses, for a request from a view, a job that would have the server read a local path the
 * view names: an ingest's location, an import's files, a model file. What a page in the browser
 * can send must not read files of this machine (and echo them back); the kernel's own client and
 * the `winnow` command, which run as the user with the user's files anyway, are not marked and
 * may. The views start `select` jobs only (an inline config); `analyze` names no file either.
 */
export function refuseViewPaths(request: IncomingMessage, kind: string, body: Record<string, unknown>): void {
  if (!fromView(request)) return;
  const options = (body.options ?? {}) as Record<string, unknown>;
  const namesFile =
    kind === 'ingest' ||
    kind === 'import' ||
    options.modelConfig !== undefined ||
    (typeof options.model === 'string' && MODEL_FILE.test(options.model));
  if (namesFile) {
    throw new WinnowError(
      'permission_denied',
      `${kind} jobs naming local files cannot come from a view: start it from the notebook's kernel (winnow) or the winnow command`,
    );
  }
}

/** Refuses, for a request from a view, a search whose model is a file (a model config it would read). */
export function refuseViewModelFile(request: IncomingMessage, model: unknown): void {
  if (fromView(request) && typeof model === 'string' && MODEL_FILE.test(model)) {
    throw new WinnowError(
      'permission_denied',
      'model: a model file cannot be named from a view; name a model the dataset has embeddings of',
    );
  }
}
