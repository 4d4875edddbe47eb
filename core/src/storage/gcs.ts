import { type File, type FileMetadata, IdempotencyStrategy, Storage } from '@google-cloud/storage';
import { throwIfAborted, WinnowError } from '../errors.js';
import { RETRY, storageFailure } from './failure.js';
import { formatLocation, keyOf, type Location, pathOf } from './location.js';
import type { DatasourceOptions, Secrets } from './options.js';
import { type FileEntry, type ListOptions, SIGNED_URL_SECONDS, type WritableStorage } from './types.js';

type GcsLocation = Extract<Location, { kind: 'gcs' }>;

/** The fields of a service account's JSON key that matter here. */
interface ServiceAccountKey {
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
}

/** What the GCS client throws: an ApiError (HTTP status in `code`) or a network error (`code` a string). */
interface GcsError {
  code?: unknown;
  response?: { status?: number };
  errors?: { reason?: string }[];
  name?: string;
  message?: string;
}

/** GCS answers 416 to a range that starts at or after the object's end. */
const RANGE_NOT_SATISFIABLE = 416;
/** The most keys GCS returns per listing request. */
const MAX_PAGE = 1000;

/** A Google Cloud Storage bucket (or a GCS emulator at `options.endpoint`). */
export class GcsStorage implements WritableStorage {
  readonly kind = 'gcs' as const;
  readonly uri: string;
  private readonly client: Storage;
  /** Blanked out of every error message. */
  private readonly knownSecrets: (string | undefined)[];
  /** An emulator's URL, named when it cannot be reached. */
  private readonly endpoint: string | undefined;

  constructor(
    private readonly location: GcsLocation,
    options: DatasourceOptions,
    secrets: Secrets,
  ) {
    this.uri = formatLocation(location);
    this.endpoint = options.endpoint;
    const key = parseServiceAccount(this.uri, secrets.serviceAccount);
    this.knownSecrets = [key?.private_key, key?.private_key_id];
    this.client = new Storage({
      apiEndpoint: options.endpoint,
      projectId: options.projectId,
      // Neither given: the library falls back to application default credentials.
      ...(key ? { credentials: key } : { keyFilename: options.credentialsFile }),
      retryOptions: {
        autoRetry: true,
        maxRetries: RETRY.attempts - 1,
        retryDelayMultiplier: 2,
        totalTimeout: RETRY.timeoutMs / 1000,
        maxRetryDelay: RETRY.maxDelayMs / 1000,
        // Every write replaces a whole object with the same bytes, so repeating one is harmless.
        idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      },
    });
  }

  async *list(options: ListOptions = {}): AsyncGenerator<FileEntry[]> {
    const prefix = keyOf(this.location, options.prefix ?? '');
    const bucket = this.client.bucket(this.location.bucket);
    let pageToken: string | undefined;
    do {
      throwIfAborted(options.signal);
      const [files, next] = await bucket
        .getFiles({ prefix, autoPaginate: false, maxResults: options.pageSize ?? MAX_PAGE, pageToken })
        .catch((error: unknown) => {
          throw this.failure(options.prefix ?? '', 'list', error);
        });
      const entries = files.filter((file) => !isFolderMarker(file.name)).map((file) => this.entryOf(file));
      if (entries.length > 0) yield entries;
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    const file = this.file(path);
    try {
      const [metadata] = await file.getMetadata();
      return entryOf(path, metadata);
    } catch (error) {
      if (statusOf(error as GcsError) === 404) return undefined;
      throw this.failure(path, 'stat', error);
    }
  }

  async read(path: string, range?: { offset: number; length: number }): Promise<Uint8Array> {
    const file = this.file(path);
    if (range && range.length <= 0) return new Uint8Array(0);
    try {
      // GCS ranges are inclusive at both ends; one running past the end is cut short by the server.
      const [bytes] = await file.download(
        range ? { start: range.offset, end: range.offset + range.length - 1 } : {},
      );
      // A plain Uint8Array view (no copy): a Buffer neither compares nor serializes like one.
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (range && statusOf(error as GcsError) === RANGE_NOT_SATISFIABLE) return new Uint8Array(0);
      throw this.failure(path, 'read', error);
    }
  }

  /** One request carrying the whole object (no resumable session): it exists whole or not at all. */
  async write(path: string, bytes: Uint8Array, contentType?: string): Promise<void> {
    const file = this.file(path);
    try {
      await file.save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        resumable: false,
        contentType,
      });
    } catch (error) {
      throw this.failure(path, 'write', error);
    }
  }

  async delete(path: string): Promise<void> {
    const file = this.file(path);
    try {
      await file.delete({ ignoreNotFound: true });
    } catch (error) {
      throw this.failure(path, 'delete', error);
    }
  }

  /**
   * A v4 signed URL, signed here with the service account's private key. Without one (user
   * credentials, a VM's metadata identity) signing would need the IAM signBlob API and a
   * permission the user may lack, so the caller streams the object instead.
   */
  async signedUrl(path: string, expiresInSeconds = SIGNED_URL_SECONDS): Promise<string | undefined> {
    const file = this.file(path);
    if (!(await this.hasPrivateKey())) return undefined;
    try {
      // The URL's host is the API endpoint (an emulator's own address when one is set).
      const [url] = await file.getSignedUrl({
        version: 'v4',
        action: 'read',
        expires: Date.now() + expiresInSeconds * 1000,
      });
      return url;
    } catch (error) {
      throw this.failure(path, 'sign', error);
    }
  }

  /** Whether the credentials in use (in memory, a key file or ADC's key file) hold a private key. */
  private async hasPrivateKey(): Promise<boolean> {
    try {
      const credentials = await this.client.authClient.getCredentials();
      return Boolean(credentials.private_key);
    } catch {
      // No credentials at all: nothing to sign with.
      return false;
    }
  }

  private file(path: string): File {
    return this.client.bucket(this.location.bucket).file(keyOf(this.location, path));
  }

  private entryOf(file: File): FileEntry {
    return entryOf(pathOf(this.location, file.name), file.metadata);
  }

  private failure(path: string, operation: string, error: unknown): WinnowError {
    const fault = error as GcsError;
    return storageFailure(
      `${this.uri}${path}`,
      operation,
      {
        status: statusOf(fault),
        name: fault.errors?.[0]?.reason ?? fault.name,
        message: fault.message || (typeof fault.code === 'string' ? fault.code : undefined),
      },
      this.knownSecrets,
      this.endpoint,
    );
  }
}

function parseServiceAccount(uri: string, text: string | undefined): ServiceAccountKey | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as ServiceAccountKey;
  } catch {
    // The text is a secret: the message must not quote it, not even the parser's excerpt of it.
    throw new WinnowError('invalid_argument', `${uri}: the service account key is not valid JSON`);
  }
}

function entryOf(path: string, metadata: FileMetadata): FileEntry {
  return {
    path,
    size: Number(metadata.size),
    mtimeMs: Date.parse(metadata.updated ?? ''),
    etag: metadata.etag ?? metadata.md5Hash,
  };
}

/** A zero-byte `folder/` object that the Cloud Console makes for an empty folder: not a file. */
function isFolderMarker(key: string): boolean {
  return key.endsWith('/');
}

/** The HTTP status: ApiError puts it in `code`, where a network error puts a string like ECONNRESET. */
function statusOf(fault: GcsError): number | undefined {
  return typeof fault.code === 'number' ? fault.code : fault.response?.status;
}
