import type { ApiRequest, ApiResponse, Transport } from '@winnow-curate/widgets';
import type { FromWebview, ToWebview } from '../panel/messages.js';

type Response = Extract<ToWebview, { type: 'response' }>;

/**
 * The views' transport in the VS Code panel: each request goes to the extension host by
 * postMessage, which relays it to the server and posts the answer's bytes back. Requests are
 * independent messages, so a long poll waiting at the server holds up no other request.
 */
export class PostMessageTransport implements Transport {
  private readonly pending = new Map<number, (response: ApiResponse) => void>();
  private count = 0;

  constructor(private readonly post: (message: FromWebview) => void) {}

  request({ method, path, body }: ApiRequest): Promise<ApiResponse> {
    const id = ++this.count;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post({ type: 'request', id, method, path, body });
    });
  }

  /** Settles the request a response answers. */
  receive(response: Response): void {
    const waiting = this.pending.get(response.id);
    if (!waiting) return;
    this.pending.delete(response.id);
    waiting({ status: response.status, contentType: response.contentType, body: exactBuffer(response.body) });
  }
}

/** The answer's bytes as an ArrayBuffer of exactly their length (a view may share a larger buffer). */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength)
    return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}
