import type { ApiRequest, ApiResponse, Transport } from '@winnow-curate/widgets';

/** What the kernel answers to one request: the body comes beside it, as the message's one buffer. */
export interface ResponseMessage {
  type: 'response';
  id: string;
  status: number;
  content_type: string;
}

type Send = (content: { type: 'request'; id: string } & ApiRequest) => void;

interface Pending {
  resolve(response: ApiResponse): void;
  reject(error: Error): void;
}

/**
 * A transport over the widget's comm: the kernel package relays each request to the server. The
 * browser never reaches the server itself, so a remote kernel works and the token stays in the kernel.
 */
export class CommTransport implements Transport {
  private readonly pending = new Map<string, Pending>();
  private count = 0;

  /** `idPrefix` keeps the ids of two views of one model apart: both receive every response. */
  constructor(
    private readonly send: Send,
    private readonly idPrefix: string,
  ) {}

  request({ method, path, body }: ApiRequest): Promise<ApiResponse> {
    const id = `${this.idPrefix}:${++this.count}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'request', id, method, path, body });
    });
  }

  /** Settles the request a response message answers; messages of other views are ignored. */
  receive(content: unknown, buffers: readonly (ArrayBuffer | ArrayBufferView)[] | undefined): void {
    if (!isResponse(content)) return;
    const waiting = this.pending.get(content.id);
    if (!waiting) return;
    this.pending.delete(content.id);
    waiting.resolve({
      status: content.status,
      contentType: content.content_type,
      body: toArrayBuffer(buffers?.[0]),
    });
  }

  /** Fails what is still waiting: a removed view gets no more answers. */
  close(reason: string): void {
    for (const waiting of this.pending.values()) waiting.reject(new Error(reason));
    this.pending.clear();
  }
}

function isResponse(content: unknown): content is ResponseMessage {
  const message = content as Partial<ResponseMessage> | null;
  return message?.type === 'response' && typeof message.id === 'string';
}

/** A buffer arrives as a DataView over the websocket frame: copy out exactly its bytes. */
function toArrayBuffer(buffer: ArrayBuffer | ArrayBufferView | undefined): ArrayBuffer {
  if (buffer === undefined) return new ArrayBuffer(0);
  if (buffer instanceof ArrayBuffer) return buffer;
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return bytes.slice().buffer;
}
