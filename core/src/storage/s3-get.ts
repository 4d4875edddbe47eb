import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest as SignedRequest } from '@smithy/types';
import { RETRY } from './failure.js';

/** What a GET answered: its status, the body, and the S3 error code and message when it failed. */
export interface GetAnswer {
  status: number;
  body: Buffer;
  code?: string;
  message?: string;
}

/** A request that never got an answer (refused, reset, timed out). */
export class NetworkError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Object GETs, signed with the SDK's own SigV4 signer and endpoint rules but sent straight over
 * the keep-alive agents. Through the SDK each GET costs about 0.6 ms of CPU in its per-call
 * middleware chain, ten times the request itself; ingest reads one header per object, so that
 * chain capped a bucket's indexing near 1,500 objects/s on two cores (bench/RESULTS.md, "Cloud
 * ingest"). Listing, writes and everything else still go through the SDK.
 */
export class ObjectGetter {
  private readonly signer: SignatureV4;
  private bucketUrl?: Promise<URL>;

  constructor(
    private readonly client: S3Client,
    private readonly params: { bucket: string; region: string; endpoint?: string; pathStyle: boolean },
    private readonly agents: { http: HttpAgent; https: HttpsAgent },
  ) {
    this.signer = new SignatureV4({
      service: 's3',
      region: params.region,
      credentials: client.config.credentials,
      sha256: Hash.bind(null, 'sha256'),
      // S3 signs the path as sent: keys are escaped once, here, not again by the signer.
      uriEscapePath: false,
    });
  }

  async get(key: string, range?: { offset: number; length: number }): Promise<GetAnswer> {
    const url = await this.baseUrl();
    const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    if (range) headers.range = `bytes=${range.offset}-${range.offset + range.length - 1}`;
    const signed = await this.signer.sign(
      new HttpRequest({
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: `${url.pathname.replace(/\/$/, '')}/${escapeKey(key)}`,
        headers,
      }),
    );
    const response = await this.send(url.protocol, signed);
    const body = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status < 300) return { status, body };
    const text = body.toString('utf8');
    return { status, body, code: tag(text, 'Code'), message: tag(text, 'Message') };
  }

  /** The bucket's URL, from the SDK's endpoint rules (path or virtual-host style, regions, custom endpoints), once. */
  private baseUrl(): Promise<URL> {
    this.bucketUrl ??= (async () => {
      const endpoint = await this.client.config.endpointProvider({
        Bucket: this.params.bucket,
        Region: this.params.region,
        Endpoint: this.params.endpoint,
        ForcePathStyle: this.params.pathStyle,
        UseFIPS: false,
        UseDualStack: false,
        Accelerate: false,
      });
      return new URL(endpoint.url.href);
    })();
    return this.bucketUrl;
  }

  private send(protocol: string, signed: SignedRequest): Promise<IncomingMessage> {
    const https = protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(
        {
          method: signed.method,
          hostname: signed.hostname,
          port: signed.port,
          path: signed.path,
          headers: signed.headers,
          agent: https ? this.agents.https : this.agents.http,
          timeout: RETRY.timeoutMs,
        },
        resolve,
      );
      request.on('timeout', () =>
        request.destroy(new NetworkError(`no answer in ${RETRY.timeoutMs / 1000} s`)),
      );
      request.on('error', (error) =>
        reject(
          error instanceof NetworkError
            ? error
            : new NetworkError(error.message || ((error as NodeJS.ErrnoException).code ?? String(error))),
        ),
      );
      request.end();
    });
  }
}

function readBody(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    response.on('error', (error) => reject(new NetworkError(error.message)));
  });
}

/** A key as a URL path: each segment escaped as RFC 3986 wants (encodeURIComponent leaves !'()* alone). */
function escapeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

/** The text of an XML element in an S3 error body. */
function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}
