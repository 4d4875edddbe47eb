/** A file found under a datasource's root. */
export interface FileEntry {
  /** Path relative to the root, with forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Set when the entry could not be read (a broken link, no permission). */
  error?: string;
}

/** Where samples live. Adapters for object stores implement the same surface (issue: cloud datasources). */
export interface Storage {
  readonly kind: 'local' | 's3' | 'obs' | 'gcs' | 'azure';
  /** The root as the user gave it: an absolute path or a bucket URL. */
  readonly uri: string;
  /** Every file under the root, in batches, streamed: never the whole listing at once. */
  list(options?: { signal?: AbortSignal }): AsyncIterable<FileEntry[]>;
  /** `length` bytes from `offset` (fewer at the end of the file). */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** A location a local consumer can open: an absolute path, or a signed URL for buckets. */
  locate(path: string): string;
}
