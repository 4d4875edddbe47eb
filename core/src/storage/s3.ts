import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { throwIfAborted, WinnowError } from '../errors.js';
import { RETRY, storageFailure, TRANSIENT_STATUS, withRetries } from './failure.js';
import { formatLocation, keyOf, type Location, pathOf } from './location.js';
import { type DatasourceOptions, type Secrets, secretFromEnv } from './options.js';
import { type GetAnswer, NetworkError, ObjectGetter } from './s3-get.js';
import { type FileEntry, type ListOptions, SIGNED_URL_SECONDS, type WritableStorage } from './types.js';

type BucketLocation = Extract<Location, { kind: 's3' | 'obs' }>;

/** Requests in flight per client: ingest reads many small headers at once. */
const MAX_SOCKETS = 128;

/**
 * A bucket on Amazon S3 or an S3-compatible store (Huawei OBS, MinIO, Ceph…): the `endpoint`
 * option names the latter, usually with `pathStyle`. Object reads go through `ObjectGetter`
 * (signed GETs without the SDK's per-call cost), everything else through the SDK; both retry
 * throttling, 5xx and network failures with exponential backoff and full jitter.
 */
export class S3Storage implements WritableStorage {
  readonly kind: 's3' | 'obs';
  readonly uri: string;
  private readonly client: S3Client;
  private readonly getter: ObjectGetter;
  private readonly bucket: string;
  /** Secret values this storage knows, blanked out of any error message. */
  private readonly secrets: string[];
  /** The store's URL when it is not AWS's default for the region. */
  private readonly endpoint: string | undefined;

  constructor(
    private readonly location: BucketLocation,
    options: DatasourceOptions,
    secrets: Secrets,
  ) {
    this.kind = location.kind;
    this.uri = formatLocation(location);
    this.bucket = location.bucket;
    if (location.kind === 'obs' && !options.endpoint) {
      throw new WinnowError(
        'invalid_argument',
        `${this.uri}: obs:// needs its endpoint (--storage endpoint=https://obs.<region>.myhuaweicloud.com)`,
      );
    }
    const { credentials, known } = credentialsFor(this.uri, options, secrets);
    this.secrets = known;
    this.endpoint = endpointOf(options);
    // Winnow supports Node 20; the SDK's notice about its own future releases would print at every command.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    };
    this.client = new S3Client({
      region,
      endpoint: this.endpoint,
      forcePathStyle: options.pathStyle ?? false,
      credentials: options.roleArn
        ? assumedRole(options.roleArn, options, credentials, { region, endpoint: this.endpoint }, known)
        : credentials,
      maxAttempts: RETRY.attempts,
      retryMode: 'standard',
      // The middleware chain is built once, not per call.
      cacheMiddleware: true,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 10_000,
        requestTimeout: RETRY.timeoutMs,
        httpAgent: agents.http,
        httpsAgent: agents.https,
      }),
    });
    const pathStyle = options.pathStyle ?? false;
    this.getter = new ObjectGetter(
      this.client,
      { bucket: this.bucket, region, endpoint: this.endpoint, pathStyle },
      agents,
    );
  }

  async *list(options: ListOptions = {}): AsyncGenerator<FileEntry[]> {
    const prefix = keyOf(this.location, options.prefix ?? '');
    let token: string | undefined;
    do {
      throwIfAborted(options.signal);
      const page = await this.send('list', options.prefix ?? '', () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: options.pageSize,
          }),
          { abortSignal: options.signal },
        ),
      );
      const entries: FileEntry[] = [];
      for (const object of page.Contents ?? []) {
        // Keys ending in '/' are the folder markers consoles create, not files.
        if (!object.Key || object.Key.endsWith('/')) continue;
        entries.push({
          path: pathOf(this.location, object.Key),
          size: object.Size ?? 0,
          mtimeMs: object.LastModified?.getTime() ?? 0,
          etag: unquote(object.ETag),
        });
      }
      if (entries.length) yield entries;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    try {
      const head = await this.send('stat', path, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: keyOf(this.location, path) })),
      );
      return {
        path,
        size: head.ContentLength ?? 0,
        mtimeMs: head.LastModified?.getTime() ?? 0,
        etag: unquote(head.ETag),
      };
    } catch (error) {
      if (error instanceof WinnowError && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  async read(path: string, range?: { offset: number; length: number }): Promise<Uint8Array> {
    if (range && range.length <= 0) return new Uint8Array(0);
    const key = keyOf(this.location, path);
    const answer = await withRetries(
      () => this.get(key, range),
      (error) =>
        error instanceof NetworkError ||
        (error instanceof GetFailure && TRANSIENT_STATUS.has(error.answer.status)),
    ).catch((error: unknown) => {
      if (error instanceof NetworkError)
        throw this.failure('read', path, { name: 'NetworkError', message: error.reason });
      if (!(error instanceof GetFailure)) throw this.failure('read', path, error);
      const { status, code, message } = error.answer;
      throw this.failure('read', path, { name: code, message, $metadata: { httpStatusCode: status } });
    });
    // A range that starts at or past the end holds nothing (HTTP 416).
    if (answer.status === 416) return new Uint8Array(0);
    return new Uint8Array(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
  }

  private async get(key: string, range?: { offset: number; length: number }): Promise<GetAnswer> {
    const answer = await this.getter.get(key, range);
    if (answer.status < 300 || (range && answer.status === 416)) return answer;
    throw new GetFailure(answer);
  }

  async write(path: string, bytes: Uint8Array, contentType?: string): Promise<void> {
    // One PUT: S3 stores the object whole or not at all.
    await this.send('write', path, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: keyOf(this.location, path),
          Body: bytes,
          ContentType: contentType,
        }),
      ),
    );
  }

  async delete(path: string): Promise<void> {
    await this.send('delete', path, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: keyOf(this.location, path) })),
    );
  }

  async signedUrl(path: string, expiresInSeconds = SIGNED_URL_SECONDS): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: keyOf(this.location, path) });
    return this.send('sign', path, () => getSignedUrl(this.client, command, { expiresIn: expiresInSeconds }));
  }

  /** Runs one SDK call, turning its failure into a one-line WinnowError about `path`. */
  private async send<T>(operation: string, path: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.failure(operation, path, error);
    }
  }

  private failure(operation: string, path: string, error: unknown): Error {
    if (error instanceof WinnowError) return error;
    const e = error as {
      name?: string;
      message?: string;
      code?: string;
      $metadata?: { httpStatusCode?: number };
    };
    if (e.name === 'AbortError') return new WinnowError('cancelled', 'cancelled');
    const status = e.$metadata?.httpStatusCode;
    const failure = storageFailure(
      `${this.uri}${path}`,
      operation,
      // A refused connection to a name with two addresses is an AggregateError with no message.
      { status, name: e.name, message: e.message || e.code },
      this.secrets,
      this.endpoint,
    );
    return Object.assign(failure, { status });
  }
}

/** A GET that was answered with an error status. */
class GetFailure extends Error {
  constructor(readonly answer: GetAnswer) {
    super(answer.code ?? `HTTP ${answer.status}`);
  }
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** The store's endpoint: the option, else the standard AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. */
function endpointOf(options: DatasourceOptions): string | undefined {
  return options.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined);
}

/**
 * Where a role is assumed: the `sts-endpoint` option, else AWS_ENDPOINT_URL_STS, else the store's
 * own endpoint (MinIO and Ceph answer AssumeRole there), unless that is an AWS host: AWS's STS
 * for the region then, as without an endpoint.
 */
export function stsEndpointOf(
  options: DatasourceOptions,
  storeEndpoint: string | undefined,
): string | undefined {
  const configured = options.stsEndpoint ?? (process.env.AWS_ENDPOINT_URL_STS || undefined);
  if (configured) return configured;
  if (!storeEndpoint || /\.amazonaws\.com(\.cn)?$/i.test(new URL(storeEndpoint).hostname)) return undefined;
  return storeEndpoint;
}

/**
 * Temporary credentials of `roleArn`, assumed with `credentials` and renewed before they expire.
 * A refusal names the role and the STS endpoint, not the object the request was for.
 */
function assumedRole(
  roleArn: string,
  options: DatasourceOptions,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  store: { region: string; endpoint: string | undefined },
  secrets: readonly string[],
): AwsCredentialIdentityProvider {
  const endpoint = stsEndpointOf(options, store.endpoint);
  const provider = fromTemporaryCredentials({
    masterCredentials: credentials,
    params: { RoleArn: roleArn, ExternalId: options.externalId, RoleSessionName: 'winnow' },
    clientConfig: { region: store.region, endpoint },
  });
  return async (properties) => {
    try {
      return await provider(properties);
    } catch (error) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      throw storageFailure(
        `${roleArn} at ${endpoint ?? `AWS STS (${store.region})`}`,
        'assume role',
        { status: e.$metadata?.httpStatusCode, name: e.name, message: e.message },
        secrets,
        endpoint,
      );
    }
  };
}

/**
 * The credentials to sign with: handed over in memory, else named environment variables, else a
 * profile, else the default AWS chain (environment, SSO, profiles, container and instance roles).
 * Also returns the secret values known here, to keep them out of messages.
 */
function credentialsFor(
  uri: string,
  options: DatasourceOptions,
  secrets: Secrets,
): { credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider; known: string[] } {
  if (secrets.accessKeyId && secrets.secretAccessKey) {
    const credentials = {
      accessKeyId: secrets.accessKeyId,
      secretAccessKey: secrets.secretAccessKey,
      sessionToken: secrets.sessionToken,
    };
    return { credentials, known: Object.values(credentials).filter((v): v is string => !!v) };
  }
  if (options.accessKeyEnv || options.secretKeyEnv) {
    if (!options.accessKeyEnv || !options.secretKeyEnv) {
      throw new WinnowError('invalid_argument', `${uri}: give both access-key-env and secret-key-env`);
    }
    const credentials = {
      accessKeyId: secretFromEnv(options.accessKeyEnv, uri),
      secretAccessKey: secretFromEnv(options.secretKeyEnv, uri),
      sessionToken: options.sessionTokenEnv ? secretFromEnv(options.sessionTokenEnv, uri) : undefined,
    };
    return { credentials, known: Object.values(credentials).filter((v): v is string => !!v) };
  }
  const fromEnvironment = [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN].filter(
    (v): v is string => !!v,
  );
  if (options.profile) return { credentials: fromIni({ profile: options.profile }), known: fromEnvironment };
  return { credentials: fromNodeProviderChain(), known: fromEnvironment };
}
