/** An object found under a datasource's root. */
export interface FileEntry {
  /** Path relative to the root, with forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
  /** The object's entity tag, where the store has one (buckets); changes with the content. */
  etag?: string;
  /** Set when the entry could not be read (a broken link, no permission). */
  error?: string;
}

export interface ListOptions {
  /** Only under this path (relative to the root; ends with `/` for a folder). */
  prefix?: string;
  signal?: AbortSignal;
  /** Keys per listing request, for buckets (the provider's maximum by default). */
  pageSize?: number;
}

export type StorageKind = 'local' | 's3' | 'obs' | 'gcs' | 'azure';

/**
 * What an input datasource offers: Winnow lists and reads it, and signs URLs for the browser,
 * never writes. Every path is relative to the root; none can leave it.
 */
export interface ReadableStorage {
  readonly kind: StorageKind;
  /** The root as a URL (a local folder: its absolute path), as stored and shown. */
  readonly uri: string;
  /** Every object under the root (or `prefix`), in pages, streamed: never the whole listing at once. */
  list(options?: ListOptions): AsyncIterable<FileEntry[]>;
  /** The object's size, time and etag; undefined when it does not exist. */
  stat(path: string): Promise<FileEntry | undefined>;
  /** The whole object, or `length` bytes from `offset` (fewer at its end). */
  read(path: string, range?: { offset: number; length: number }): Promise<Uint8Array>;
  /**
   * A URL that reads the object for `expiresInSeconds` without credentials of its own, or
   * undefined where the store cannot sign one (a local folder, an Azure container reached by a
   * SAS token, GCS without a service account key): then the local server streams the object.
   */
  signedUrl(path: string, expiresInSeconds?: number): Promise<string | undefined>;
}

/** A work datasource: also written (only under `.winnow/`, which `WorkArea` enforces). */
export interface WritableStorage extends ReadableStorage {
  /** Creates or replaces the object whole: a failed write leaves no partial object. */
  write(path: string, bytes: Uint8Array, contentType?: string): Promise<void>;
  /** Removes the object; removing one that does not exist is not an error. */
  delete(path: string): Promise<void>;
}

/** Signed URLs live this long unless the caller says otherwise (15 minutes). */
export const SIGNED_URL_SECONDS = 15 * 60;
