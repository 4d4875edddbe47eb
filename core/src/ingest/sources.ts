import { unreadableObject } from '../storage/failure.js';
import type { LocalStorage, StatResult } from '../storage/local.js';
import type { FileEntry, ReadableStorage } from '../storage/types.js';
import { mapLimited } from '../util/concurrency.js';
import { WorkerPool, workerScript } from '../util/worker-pool.js';
import { formatByName } from './formats.js';
import type { LocalRequest } from './local-worker.js';
import { type ProbeResult, probeFile } from './probe.js';

/** What the listing met besides files: reported in the ingest summary. */
export interface ListingNotes {
  /** Links that lead outside the root, never followed. */
  outsideRoot: number;
  /** Folders that exist but could not be read: what they held is left as it was. */
  unreadableFolders: { path: string; code: string }[];
}

/**
 * Where ingest finds files and reads their headers: a local folder (worker threads stat and
 * read) or a bucket (paged listing, ranged reads in parallel). The rest of ingest is the same.
 */
export interface IngestSource {
  readonly uri: string;
  /** Where the files are (videos are handed from there to ffprobe). */
  readonly storage: ReadableStorage;
  list(notes: ListingNotes, signal?: AbortSignal): AsyncIterable<FileEntry[]>;
  /** Format, size in pixels and completeness of each file, from its first and last bytes. */
  probe(files: [path: string, size: number][]): Promise<ProbeResult[]>;
  close(): Promise<void>;
}

const PROBE_BATCH = 256;

export class LocalSource implements IngestSource {
  private readonly pool: WorkerPool<LocalRequest, unknown>;
  readonly uri: string;

  constructor(
    readonly storage: LocalStorage,
    threads?: number,
  ) {
    this.uri = storage.uri;
    this.pool = new WorkerPool(workerScript(import.meta.url, 'local-worker'), threads, {
      realRoot: storage.realRoot,
    });
  }

  list(notes: ListingNotes, signal?: AbortSignal): AsyncIterable<FileEntry[]> {
    return this.storage.list({
      signal,
      accept: (name) => formatByName(name) !== undefined,
      statBatch: (dir, names) => this.pool.run({ type: 'stat', dir, names }) as Promise<StatResult>,
      onOutsideRoot: () => notes.outsideRoot++,
      onUnreadableFolder: (path, code) => notes.unreadableFolders.push({ path, code }),
    });
  }

  async probe(files: [string, number][]): Promise<ProbeResult[]> {
    const batches: Promise<ProbeResult[]>[] = [];
    for (let i = 0; i < files.length; i += PROBE_BATCH) {
      batches.push(
        this.pool.run({ type: 'probe', files: files.slice(i, i + PROBE_BATCH) }) as Promise<ProbeResult[]>,
      );
    }
    return (await Promise.all(batches)).flat();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Ranged reads in flight at once: each waits mostly on the network. */
const BUCKET_READS = 64;

export class BucketSource implements IngestSource {
  readonly uri: string;

  constructor(
    readonly storage: ReadableStorage,
    private readonly pageSize?: number,
  ) {
    this.uri = storage.uri;
  }

  list(_notes: ListingNotes, signal?: AbortSignal): AsyncIterable<FileEntry[]> {
    return this.storage.list({ signal, pageSize: this.pageSize });
  }

  probe(files: [string, number][]): Promise<ProbeResult[]> {
    return mapLimited(files, BUCKET_READS, ([path, size]) => this.probeObject(path, size));
  }

  /**
   * An object that vanished or may not be read is recorded as corrupt with the reason; a store
   * that is unreachable or refuses the credentials stops the ingest (what was merged is kept).
   */
  private async probeObject(path: string, size: number): Promise<ProbeResult> {
    try {
      return await probeFile(path, size, (offset, length) => this.storage.read(path, { offset, length }));
    } catch (error) {
      const reason = unreadableObject(error);
      if (reason === undefined) throw error;
      return { format: null, width: null, height: null, status: 'corrupt', reason };
    }
  }

  async close(): Promise<void> {}
}
