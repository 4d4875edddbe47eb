import { type LongTaskOptions, throwIfAborted, WinnowError } from '../errors.js';
import { envSetting } from '../settings.js';
import { LocalStorage } from '../storage/local.js';
import { type DatasetSecrets, type DatasourceRef, datasourceRef, openStorage } from '../storage/open.js';
import type { DatasourceOptions } from '../storage/options.js';
import { withToolInput } from '../storage/tool-input.js';
import { requirePermissions, verifyInput } from '../storage/verify.js';
import { WORK_DIR } from '../storage/work.js';
import { sampleCounts } from '../store/counts.js';
import type { Database } from '../store/db.js';
import { finishRun, startRun } from '../store/runs.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { untagSamples } from '../tags/tags.js';
import { mapLimited } from '../util/concurrency.js';
import { maxPixels } from '../util/pixel-limit.js';
import { formatByName } from './formats.js';
import type { ProbeResult } from './probe.js';
import { BucketSource, type IngestSource, type ListingNotes, LocalSource } from './sources.js';
import { FfprobeMissing, probeVideo } from './video.js';

export interface IngestOptions extends LongTaskOptions {
  dataset: string;
  /** Where the dataset's `.winnow/` goes (a folder or a bucket URL); used when the dataset is created. */
  work?: string;
  /** How to reach the input (endpoint, region, credential references); stored with the dataset. */
  storage?: DatasourceOptions;
  /** How to reach the work location; by default the input's options when both are on the same provider. */
  workStorage?: DatasourceOptions;
  /** Credentials held in memory only (the local server's), never stored. */
  secrets?: DatasetSecrets;
  /** The ffprobe to run for video facts (default: WINNOW_FFPROBE, else `ffprobe` on the PATH). */
  ffprobe?: string;
  /** Worker threads for listing and header reads (default: the number of cores). */
  threads?: number;
  /** Keys per listing request in a bucket (default: the provider's maximum, 1,000 to 5,000). */
  pageSize?: number;
}

export interface IngestSummary {
  run_id: string;
  dataset: string;
  root: string;
  /** Samples the dataset holds after the run (removed ones not counted). */
  samples: number;
  images: number;
  videos: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** Corrupt samples in the dataset after the run. */
  corrupt: number;
  /** Readable files in the dataset whose extension does not match their content. */
  misnamed: number;
  /** Links that lead outside the root, never followed. */
  outside_root: number;
  /** The first corrupt files of this run, with their reasons. */
  corrupt_files: { path: string; reason: string }[];
  warnings: string[];
  seconds: number;
}

const PAGE = 4096;
const VIDEO_CONCURRENCY = 2;

/**
 * Indexes a local folder or a bucket (`location`: a path or an s3://, obs://, gs://, az:// URL)
 * into a dataset, incrementally: files are listed in a streamed walk (buckets: page by page)
 * into a staging table, SQL picks the new and changed ones (by size and time, or size and etag
 * in a bucket), only those have their headers read (in worker threads, or as ranged reads), and
 * each page is merged in its own transaction, so an interrupted run resumes where it stopped.
 * Vanished files are marked removed once the listing has completed. The input is only listed
 * and read; a bucket is first checked for both permissions.
 */
export async function ingest(
  ws: Workspace,
  location: string,
  options: IngestOptions,
): Promise<IngestSummary> {
  const started = performance.now();
  maxPixels(); // a bad WINNOW_MAX_PIXELS stops the run before any file is probed against it
  const existing = await ws.findDataset(options.dataset);
  const dataset = await datasetFor(ws, existing, options, datasourceRef(location, options.storage));
  let listed = false;
  try {
    return await indexInto(ws, dataset, options, { started, first: !existing }, () => {
      listed = true;
    });
  } catch (error) {
    // A dataset exists once its first ingest has listed its location and found samples: a typo in
    // the path must not leave behind an empty dataset whose name then refuses the right path.
    if (!existing && (!listed || error instanceof NothingToIndex)) await ws.forgetDataset(dataset);
    throw error;
  }
}

/** A first ingest that found no image or video: an error, and no dataset is left behind. */
class NothingToIndex extends WinnowError {
  constructor(root: string) {
    super('not_found', `${root}: no image or video found: no dataset was made`);
  }
}

/** Lists, plans, probes and merges; `onListed` is told once the whole location has been listed. */
async function indexInto(
  ws: Workspace,
  dataset: Dataset,
  options: IngestOptions,
  { started, first }: { started: number; first: boolean },
  onListed: () => void,
): Promise<IngestSummary> {
  const storage = await openStorage(dataset.input, { secrets: options.secrets?.input });
  if (!(storage instanceof LocalStorage)) {
    requirePermissions('ingest', await verifyInput(storage), ['list', 'read'], storage.uri);
  }
  const source: IngestSource =
    storage instanceof LocalStorage
      ? new LocalSource(storage, options.threads)
      : new BucketSource(storage, options.pageSize);
  const db = ws.db;
  const runId = await startRun(db, dataset.id, 'ingest', { root: storage.uri });
  const state: RunState = {
    warnings: [],
    outsideRoot: 0,
    unreadableFolders: [],
    corruptFiles: [],
    ffprobeMissing: false,
  };
  try {
    const listed = await listFiles(db, source, state, options);
    onListed();
    const todo = await planChanges(db, dataset.id);
    const merged = await probeAndMerge(db, dataset, runId, source, todo, state, options);
    const removed = await markRemoved(db, dataset.id);
    const summary = await summarize(db, dataset, storage.uri, runId, state, {
      listed,
      todo,
      merged,
      removed,
      seconds: (performance.now() - started) / 1000,
    });
    if (summary.samples === 0) {
      if (first) throw new NothingToIndex(storage.uri);
      summary.warnings.push(
        `${storage.uri} holds no image or video now: its samples are marked removed, their tags and history kept`,
      );
    }
    await finishRun(db, runId, { status: 'done', stats: summary });
    return summary;
  } catch (error) {
    const cancelled = error instanceof WinnowError && error.code === 'cancelled';
    await finishRun(db, runId, {
      status: cancelled ? 'cancelled' : 'failed',
      error: (error as Error).message,
    });
    throw error;
  } finally {
    await source.close();
    for (const table of [
      'ingest_seen',
      'ingest_todo',
      'ingest_probed',
      'ingest_new',
      'ingest_unreadable',
      'ingest_removed',
    ]) {
      await db.run(`DROP TABLE IF EXISTS temp.${table}`);
    }
  }
}

interface RunState extends ListingNotes {
  warnings: string[];
  corruptFiles: { path: string; reason: string }[];
  ffprobeMissing: boolean;
}

async function datasetFor(
  ws: Workspace,
  existing: Dataset | undefined,
  options: IngestOptions,
  input: DatasourceRef,
): Promise<Dataset> {
  if (!existing) {
    const work = options.work ? workRef(options.work, input, options.workStorage) : undefined;
    return ws.createDataset(options.dataset, input, work);
  }
  if (existing.input.uri !== input.uri) {
    throw new WinnowError(
      'invalid_argument',
      `dataset '${options.dataset}' indexes ${existing.input.uri}, not ${input.uri}: choose another --dataset name`,
    );
  }
  if (options.storage) await ws.setDatasourceOptions(existing.input.id, input.options ?? {});
  if (options.workStorage) await ws.setDatasourceOptions(existing.work.id, options.workStorage);
  return options.storage || options.workStorage ? ws.dataset(options.dataset) : existing;
}

/** The work location; on the input's provider it is reached like the input unless told otherwise. */
function workRef(location: string, input: DatasourceRef, options?: DatasourceOptions): DatasourceRef {
  const work = datasourceRef(location, options);
  return options || work.kind !== input.kind ? work : { ...work, options: input.options };
}

/** Lists the source into a staging table, page by page; what Winnow wrote under `.winnow/` is not a sample. */
async function listFiles(
  db: Database,
  source: IngestSource,
  state: RunState,
  options: IngestOptions,
): Promise<number> {
  const seen = await db.stage('ingest_seen', {
    path: 'VARCHAR',
    size: 'BIGINT',
    mtime_ms: 'DOUBLE',
    etag: 'VARCHAR',
    error: 'VARCHAR',
  });
  let count = 0;
  try {
    for await (const batch of source.list(state, options.signal)) {
      for (const file of batch) {
        // A linked folder's names are not filtered while listing, nor a bucket's.
        if (!formatByName(file.path) || file.path.startsWith(`${WORK_DIR}/`)) continue;
        seen.append([file.path, file.size, file.mtimeMs, file.etag ?? null, file.error ?? null]);
      }
      count += batch.length;
      options.onProgress?.({ phase: 'listing', done: count });
    }
  } finally {
    seen.close();
  }
  if (state.outsideRoot > 0) {
    state.warnings.push(`${state.outsideRoot} links lead outside ${source.uri} and were not followed`);
  }
  const unreadable = await db.stage('ingest_unreadable', { prefix: 'VARCHAR' });
  for (const folder of state.unreadableFolders) unreadable.append([folder.path ? `${folder.path}/` : '']);
  unreadable.close();
  const [first] = state.unreadableFolders;
  if (first) {
    state.warnings.push(
      `${state.unreadableFolders.length} folders could not be read (${first.path || '.'}: ${first.code}): ` +
        'the samples indexed under them were kept as they were',
    );
  }
  return db.value<number>('SELECT count(*) FROM temp.ingest_seen');
}

/**
 * The new and changed files, numbered so they can be read back a page at a time. A bucket's
 * object changed when its etag did (its time is when it was uploaded); a file when its time did.
 */
async function planChanges(db: Database, datasetId: number): Promise<number> {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE ingest_todo AS
     SELECT row_number() OVER (ORDER BY n.path) AS rn, n.path, n.size, n.mtime_ms, n.etag, n.error, e.sample_id
     FROM temp.ingest_seen n
     LEFT JOIN (SELECT sample_id, path, size, mtime, etag, status FROM winnow.samples
                WHERE dataset_id = ? AND kind IN ('image', 'video')) e ON e.path = n.path
     WHERE e.sample_id IS NULL OR e.status = 'removed' OR e.size IS DISTINCT FROM n.size
        OR CASE WHEN n.etag IS NULL THEN e.mtime IS DISTINCT FROM make_timestamp((n.mtime_ms * 1000)::BIGINT)
                ELSE e.etag IS DISTINCT FROM n.etag END`,
    [datasetId],
  );
  return db.value<number>('SELECT count(*) FROM temp.ingest_todo');
}

interface TodoRow {
  path: string;
  size: number;
  mtime_ms: number;
  etag: string | null;
  error: string | null;
  sample_id: number | null;
}

async function probeAndMerge(
  db: Database,
  dataset: Dataset,
  runId: string,
  source: IngestSource,
  total: number,
  state: RunState,
  options: IngestOptions,
): Promise<{ added: number; updated: number }> {
  const merged = { added: 0, updated: 0 };
  const ffprobe = options.ffprobe ?? envSetting('WINNOW_FFPROBE') ?? 'ffprobe';
  for (let first = 1; first <= total; first += PAGE) {
    throwIfAborted(options.signal);
    const rows = await db.all<TodoRow>(
      'SELECT path, size, mtime_ms, etag, error, sample_id FROM temp.ingest_todo WHERE rn BETWEEN ? AND ? ORDER BY rn',
      [first, first + PAGE - 1],
    );
    const probed = await probePage(source, rows);
    await probeVideos(source, ffprobe, rows, probed, state);
    const page = await mergePage(db, dataset.id, runId, rows, probed, state);
    merged.added += page.added;
    merged.updated += page.updated;
    options.onProgress?.({ phase: 'indexing', done: Math.min(total, first + PAGE - 1), total });
  }
  return merged;
}

async function probePage(source: IngestSource, rows: TodoRow[]): Promise<ProbeResult[]> {
  const readable = rows.filter((row) => !row.error).map((row): [string, number] => [row.path, row.size]);
  const results = await source.probe(readable);
  let next = 0;
  return rows.map((row) =>
    row.error
      ? {
          format: formatByName(row.path)?.format ?? null,
          width: null,
          height: null,
          status: 'corrupt',
          reason: row.error,
        }
      : results[next++]!,
  );
}

async function probeVideos(
  source: IngestSource,
  ffprobe: string,
  rows: TodoRow[],
  probed: ProbeResult[],
  state: RunState,
): Promise<void> {
  const videos = rows
    .map((row, i) => ({ row, result: probed[i]! }))
    .filter(({ row, result }) => result.status === 'ok' && formatByName(row.path)?.kind === 'video');
  await mapLimited(videos, VIDEO_CONCURRENCY, async ({ row, result }) => {
    if (state.ffprobeMissing) return;
    try {
      const info = await withToolInput(source.storage, row.path, (input) => probeVideo(ffprobe, input));
      if (info) Object.assign(result, info);
    } catch (error) {
      if (!(error instanceof FfprobeMissing)) {
        Object.assign(result, { status: 'corrupt', reason: `unreadable video: ${(error as Error).message}` });
      } else if (!state.ffprobeMissing) {
        state.ffprobeMissing = true;
        state.warnings.push(
          `ffprobe not found (${ffprobe}): videos are indexed without duration, fps and size; install ffmpeg or set WINNOW_FFPROBE`,
        );
      }
    }
  });
}

async function mergePage(
  db: Database,
  datasetId: number,
  runId: string,
  rows: TodoRow[],
  probed: ProbeResult[],
  state: RunState,
): Promise<{ added: number; updated: number }> {
  const stage = await db.stage('ingest_probed', {
    sample_id: 'INTEGER',
    kind: 'VARCHAR',
    path: 'VARCHAR',
    format: 'VARCHAR',
    size: 'BIGINT',
    mtime_ms: 'DOUBLE',
    etag: 'VARCHAR',
    width: 'INTEGER',
    height: 'INTEGER',
    duration: 'DOUBLE',
    fps: 'DOUBLE',
    status: 'VARCHAR',
    reason: 'VARCHAR',
  });
  let updated = 0;
  rows.forEach((row, i) => {
    const result = probed[i]! as ProbeResult & { duration?: number | null; fps?: number | null };
    if (result.status === 'corrupt' && state.corruptFiles.length < 20) {
      state.corruptFiles.push({ path: row.path, reason: result.reason ?? '' });
    }
    if (row.sample_id !== null) updated++;
    stage.append([
      row.sample_id,
      formatByName(row.path)!.kind,
      row.path,
      result.format,
      row.size,
      row.mtime_ms,
      row.etag,
      result.width,
      result.height,
      result.duration ?? null,
      result.fps ?? null,
      result.status,
      result.reason,
    ]);
  });
  stage.close();
  const mtime = 'make_timestamp((p.mtime_ms * 1000)::BIGINT)';
  await db.transaction(async () => {
    if (updated > 0) {
      await db.run(
        `UPDATE winnow.samples AS s SET format = p.format, size = p.size, mtime = ${mtime}, etag = p.etag, width = p.width,
           height = p.height, duration = p.duration, fps = p.fps, status = p.status, reason = p.reason, updated_at = now()
         FROM temp.ingest_probed p WHERE p.sample_id IS NOT NULL AND s.sample_id = p.sample_id`,
      );
    }
    await db.run(
      `CREATE OR REPLACE TEMP TABLE ingest_new AS
       SELECT nextval('winnow.sample_ids') AS sample_id, * EXCLUDE (sample_id) FROM temp.ingest_probed p
       WHERE p.sample_id IS NULL`,
    );
    await db.run(
      `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, size, mtime, etag, width, height, duration, fps, status, reason)
       SELECT sample_id, ?, kind, path, format, size, ${mtime}, etag, width, height, duration, fps, status, reason
       FROM temp.ingest_new p`,
      [datasetId],
    );
    await db.run(
      'INSERT INTO winnow.run_samples (run_id, sample_id) SELECT ?, sample_id FROM temp.ingest_new',
      [runId],
    );
  });
  return { added: rows.length - updated, updated };
}

/**
 * Marks removed the samples whose files the walk no longer found (except under folders it
 * could not read), and takes them out of their tags as a new tag version.
 */
async function markRemoved(db: Database, datasetId: number): Promise<number> {
  return db.transaction(async () => {
    await db.run(
      `CREATE OR REPLACE TEMP TABLE ingest_removed AS
       SELECT s.sample_id FROM winnow.samples s
       WHERE s.dataset_id = ? AND s.kind IN ('image', 'video') AND s.status <> 'removed'
         AND NOT EXISTS (SELECT 1 FROM temp.ingest_seen n WHERE n.path = s.path)
         AND NOT EXISTS (SELECT 1 FROM temp.ingest_unreadable u WHERE starts_with(s.path, u.prefix))`,
      [datasetId],
    );
    const count = await db.value<number>('SELECT count(*) FROM temp.ingest_removed');
    if (count > 0) {
      await db.run(
        `UPDATE winnow.samples SET status = 'removed', updated_at = now()
         WHERE sample_id IN (SELECT sample_id FROM temp.ingest_removed)`,
      );
      await untagSamples(db, 'ingest_removed', 'files removed');
    }
    return count;
  });
}

async function summarize(
  db: Database,
  dataset: Dataset,
  root: string,
  runId: string,
  state: RunState,
  figures: {
    listed: number;
    todo: number;
    merged: { added: number; updated: number };
    removed: number;
    seconds: number;
  },
): Promise<IngestSummary> {
  const counts = await sampleCounts(db, dataset.id);
  return {
    run_id: runId,
    dataset: dataset.name,
    root,
    samples: counts.samples,
    images: counts.images,
    videos: counts.videos,
    added: figures.merged.added,
    updated: figures.merged.updated,
    removed: figures.removed,
    unchanged: figures.listed - figures.todo,
    corrupt: counts.corrupt,
    misnamed: counts.misnamed,
    outside_root: state.outsideRoot,
    corrupt_files: state.corruptFiles,
    warnings: state.warnings,
    seconds: Math.round(figures.seconds * 1000) / 1000,
  };
}
