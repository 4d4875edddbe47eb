import type { ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import {
  Field,
  FixedSizeList,
  Float32,
  makeData,
  makeVector,
  Table,
  tableFromArrays,
  tableToIPC,
} from 'apache-arrow';
import { analyze } from '../analyze/analyze.js';
import { JobRequest } from '../contract/jobs.js';
import { parseRequest } from '../contract/parse.js';
import {
  AnnotationChange,
  AnnotationRequest,
  CaptionRequest,
  CredentialsRequest,
  SamplesByIdRequest,
  SearchRequest,
  TagCreateRequest,
} from '../contract/requests.js';
import { embedOnRay } from '../embed/ray.js';
import { embedDataset } from '../embed/run.js';
import { searchDataset } from '../embed/search.js';
import { WinnowError } from '../errors.js';
import { runImport } from '../ingest/import/index.js';
import { ingest } from '../ingest/ingest.js';
import { Captions } from '../labels/captions.js';
import { Labels } from '../labels/labels.js';
import { DEFAULT_TIME_LIMIT_MS, runQuery } from '../query/run.js';
import { QuerySlots } from '../query/slots.js';
import { checkSelectionConfig } from '../select/config.js';
import { runSelection } from '../select/run.js';
import { behaviourSettings } from '../settings.js';
import { type DatasetSecrets, openDatasetStorage } from '../storage/open.js';
import { type DatasourceOptions, parseStorageOptions } from '../storage/options.js';
import { sampleCounts } from '../store/counts.js';
import { embeddingTable, findModel } from '../store/embeddings.js';
import { readVectors } from '../store/vectors.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { Tags } from '../tags/tags.js';
import { WINNOW_VERSION } from '../version.js';
import { sendColors } from './colors.js';
import { commandRoutes } from './command-routes.js';
import { facet } from './facets.js';
import { BASE_HEADERS, RESPONDED, type RequestContext, type Route, route, sendBytes } from './http.js';
import type { Jobs } from './jobs.js';
import { fromView, refuseViewModelFile, refuseViewPaths } from './origin.js';
import { answerQuery } from './query-answer.js';
import type { Health } from './runtime.js';
import { sampleLookupRoutes } from './sample-lookup.js';
import { matchingIds, PAGE_LIMIT, sampleDetail, sampleIds, samplePage, samplesById } from './samples.js';
import { selectionRoutes } from './selection-routes.js';
import type { Thumbnails } from './thumbnails.js';
import { sendIds, viewRoutes } from './view-routes.js';

/** What the health check reports of the server's use (server.ts's Usage and idle timeout). */
export interface Lifecycle {
  idleMs(): number;
  idleTimeoutMs?: number;
}

/** The newest runs a dataset lists (ingests, imports, selections, analyses). */
const RUNS_LISTED = 100;
/**
 * User SQL (queries, `where` conditions) running at once, the rest waiting their turn: half the
 * cores, so that heavy user queries leave the other half to health, grid pages and thumbnails
 * (docs/query.md; bench/sql-limits.mjs measured grid pages at twice the p95 with two at once than
 * with one on 2 cores).
 */
const USER_QUERIES_AT_ONCE = Math.max(1, Math.floor(availableParallelism() / 2));

/**
 * The JSON API over one workspace: datasets, pages of samples (a read-only SQL condition
 * filters them), queries, tags, search, 2-D points as Arrow IPC, thumbnails and media (a signed
 * URL to follow, or the bytes), and long jobs (ingest, embed, analyze, select) with progress
 * events and cancellation.
 */
export function apiRoutes(
  ws: Workspace,
  jobs: Jobs,
  thumbnails: Thumbnails,
  lifecycle: Lifecycle = { idleMs: () => 0 },
): Route[] {
  const dataset = (context: RequestContext) => ws.dataset(decodeURIComponent(context.params.dataset!));
  /** Credentials handed over for a dataset's locations, kept in this process only, never stored or echoed. */
  const credentials = new Map<string, DatasetSecrets>();
  /**
   * Each dataset's locations, opened once: a grid asks for a hundred thumbnails at a time, and a
   * bucket client per request would pay for its credentials and connections every time.
   */
  const opened = new Map<string, ReturnType<typeof openDatasetStorage>>();
  const userQueries = new QuerySlots(USER_QUERIES_AT_ONCE);
  /** Runs a request that carries user SQL (a selection's `sql`, a search's `where`) in a user query's turn. */
  const inTurn = <T>(sql: unknown, work: () => Promise<T>): Promise<T> =>
    sql === undefined ? work() : userQueries.during(DEFAULT_TIME_LIMIT_MS, work);
  const storageOf = (chosen: Dataset) => {
    const key = JSON.stringify([chosen.name, chosen.input, chosen.work]);
    let storage = opened.get(key);
    if (!storage) {
      storage = openDatasetStorage(chosen, credentials.get(chosen.name));
      opened.set(key, storage);
      storage.catch(() => opened.delete(key));
    }
    return storage;
  };
  return [
    route(
      'GET',
      '/api/health',
      async (): Promise<Health> => ({
        service: 'winnow',
        workspace: ws.dir,
        pid: process.pid,
        version: WINNOW_VERSION,
        settings: behaviourSettings(),
        idle_s: Math.floor(lifecycle.idleMs() / 1000),
        idle_timeout_s: lifecycle.idleTimeoutMs === undefined ? null : lifecycle.idleTimeoutMs / 1000,
      }),
    ),
    route('GET', '/api/datasets', async () =>
      Promise.all(
        (await ws.datasets()).map(async (d) => ({
          name: d.name,
          input: d.input.uri,
          work: d.work.uri,
          ...(await sampleCounts(ws.db, d.id)),
        })),
      ),
    ),
    route('GET', '/api/datasets/:dataset/samples', async (context) => {
      const { query } = context;
      return samplePage(
        ws,
        await dataset(context),
        {
          offset: optionalInteger(query.get('offset') ?? undefined, 'offset') ?? 0,
          limit: Math.min(PAGE_LIMIT, optionalInteger(query.get('limit') ?? undefined, 'limit') ?? 100),
          where: query.get('where')?.trim() || 'true',
          order: query.get('order') ?? undefined,
        },
        userQueries,
      );
    }),
    route('GET', '/api/datasets/:dataset/ids', async (context) => {
      const where = context.query.get('where')?.trim() || 'true';
      return sendIds(context.response, await matchingIds(ws, await dataset(context), where, userQueries));
    }),
    route('POST', '/api/datasets/:dataset/samples/by-id', async (context) =>
      samplesById(ws, await dataset(context), parseRequest(SamplesByIdRequest, await context.json()).ids),
    ),
    route('GET', '/api/datasets/:dataset/samples/:id', async (context) =>
      sampleDetail(ws, await dataset(context), sampleId(context)),
    ),
    ...viewRoutes(ws, userQueries),
    ...sampleLookupRoutes(ws),
    ...selectionRoutes(ws),
    route('POST', '/api/datasets/:dataset/query', async (context) =>
      answerQuery(ws, context, userQueries, () => dataset(context)),
    ),
    route('GET', '/api/datasets/:dataset/facets', async (context) => {
      const { query } = context;
      const field = query.get('field');
      if (!field) throw new WinnowError('invalid_argument', 'field: name the field to count');
      const bins = optionalInteger(query.get('bins') ?? undefined, 'bins');
      const where = query.get('where')?.trim() || undefined;
      return facet(ws, await dataset(context), field, where, bins, userQueries);
    }),
    route('GET', '/api/datasets/:dataset/tags', async (context) =>
      new Tags(ws, await dataset(context)).list(),
    ),
    route('POST', '/api/datasets/:dataset/tags', async (context) => {
      const { name, selection } = parseRequest(TagCreateRequest, await context.json());
      return inTurn(selection?.sql, async () => new Tags(ws, await dataset(context)).create(name, selection));
    }),
    route('PATCH', '/api/datasets/:dataset/tags/:tag', async (context) =>
      changeTag(
        new Tags(ws, await dataset(context)),
        decodeURIComponent(context.params.tag!),
        await context.json(),
      ),
    ),
    route('GET', '/api/datasets/:dataset/runs', async (context) => {
      const result = await runQuery(
        ws,
        `SELECT run_id, kind, status, config, stats, error, started_at, finished_at FROM runs
         ORDER BY started_at DESC LIMIT ${RUNS_LISTED}`,
        { dataset: await dataset(context), timeoutMs: 10_000 },
      );
      return result.rows;
    }),
    route('POST', '/api/datasets/:dataset/search', async (context) => {
      const body = parseRequest(SearchRequest, await context.json());
      // A file path would let a page in the browser read pictures anywhere on this machine: a
      // view searches by text or by a sample of the dataset only; the user's own clients may name a file.
      if (body.image !== undefined && fromView(context.request)) {
        throw new WinnowError(
          'invalid_argument',
          'image: not taken from a view; search by text or by a sample',
        );
      }
      refuseViewModelFile(context.request, body.model);
      return inTurn(body.where, async () => searchDataset(ws, await dataset(context), body));
    }),
    route('GET', '/api/datasets/:dataset/points', async (context) =>
      sendPoints(ws, await dataset(context), context.query.get('projection') ?? undefined, context.response),
    ),
    route('GET', '/api/datasets/:dataset/embeddings', async (context) =>
      sendEmbeddings(ws, await dataset(context), context.query.get('model') ?? undefined, context.response),
    ),
    route('GET', '/api/datasets/:dataset/colors', async (context) => {
      const by = context.query.get('by');
      if (!by) throw new WinnowError('invalid_argument', 'by: name the field to colour by');
      return sendColors(ws, await dataset(context), by, context.response);
    }),
    route('GET', '/api/datasets/:dataset/samples/:id/thumbnail', async (context) => {
      const chosen = await dataset(context);
      const { input, work } = await storageOf(chosen);
      const path = await thumbnails.ensure(chosen, sampleId(context), input, work);
      return sendObject(context.response, await work.signedUrl(path), () => work.read(path), 'image/jpeg');
    }),
    route('GET', '/api/datasets/:dataset/samples/:id/media', async (context) => {
      const chosen = await dataset(context);
      const sample = await ws.db.one<{ path: string; format: string | null }>(
        "SELECT path, format FROM winnow.samples WHERE dataset_id = ? AND sample_id = ? AND kind IN ('image', 'video')",
        [chosen.id, sampleId(context)],
      );
      if (!sample)
        throw new WinnowError(
          'not_found',
          `dataset '${chosen.name}' has no image or video ${sampleId(context)}`,
        );
      const { input } = await storageOf(chosen);
      const type = MEDIA_TYPES[sample.format ?? ''] ?? 'application/octet-stream';
      return sendObject(
        context.response,
        await input.signedUrl(sample.path),
        () => input.read(sample.path),
        type,
      );
    }),
    route('GET', '/api/datasets/:dataset/samples/:id/annotations', async (context) =>
      new Labels(ws, await dataset(context)).list(sampleId(context)),
    ),
    route('POST', '/api/datasets/:dataset/samples/:id/annotations', async (context) => {
      const annotation = parseRequest(AnnotationRequest, await context.json());
      return new Labels(ws, await dataset(context)).add(sampleId(context), annotation);
    }),
    route('PATCH', '/api/datasets/:dataset/annotations/:annotation', async (context) => {
      const change = parseRequest(AnnotationChange, await context.json());
      return new Labels(ws, await dataset(context)).update(annotationId(context), change);
    }),
    route('DELETE', '/api/datasets/:dataset/annotations/:annotation', async (context) =>
      new Labels(ws, await dataset(context)).delete(annotationId(context)),
    ),
    route('PUT', '/api/datasets/:dataset/samples/:id/caption', async (context) => {
      const { caption } = parseRequest(CaptionRequest, await context.json());
      return new Captions(ws, await dataset(context)).set(sampleId(context), caption);
    }),
    route('POST', '/api/datasets/:dataset/credentials', async (context) => {
      const name = decodeURIComponent(context.params.dataset!);
      credentials.set(name, parseRequest(CredentialsRequest, await context.json(), 'credentials'));
      opened.clear();
      return { dataset: name, held: 'in memory, for the life of this server' };
    }),
    route('POST', '/api/jobs', async (context) => {
      const body = await context.json();
      refuseViewPaths(context.request, String(body.kind), body);
      return startJob(ws, jobs, credentials, parseRequest(JobRequest, body));
    }),
    route('GET', '/api/jobs/:id', async (context) => jobs.get(context.params.id!)),
    route('DELETE', '/api/jobs/:id', async (context) => jobs.cancel(context.params.id!)),
    route('GET', '/api/jobs/:id/events', async (context) => streamEvents(jobs, context)),
    ...commandRoutes(ws, { userQueries, inTurn, storageOf }),
  ];
}

const MEDIA_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
};

/**
 * A projection's points as Arrow IPC: sample_id (int32), x and y (float32), 12 bytes a point.
 * Without a name, the dataset's newest projection.
 */
async function sendPoints(
  ws: Workspace,
  dataset: Dataset,
  name: string | undefined,
  response: ServerResponse,
) {
  const projection = await ws.db.one<{ projection_id: number; name: string }>(
    `SELECT projection_id, name FROM winnow.projections WHERE dataset_id = ? AND (? IS NULL OR name = ?)
     ORDER BY created_at DESC LIMIT 1`,
    [dataset.id, name ?? null, name ?? null],
  );
  if (!projection) {
    throw new WinnowError(
      'not_found',
      `dataset '${dataset.name}' has no projection${name ? ` named '${name}'` : ''} (winnow analyze --projection)`,
    );
  }
  const where = [projection.projection_id];
  const count = Number(
    await ws.db.value('SELECT count(*) FROM winnow.coordinates WHERE projection_id = ?', where),
  );
  // Read as (id, [x, y]) chunks straight into typed arrays: a million row objects would take seconds.
  const { ids, vectors } = await readVectors(
    ws.db,
    'SELECT sample_id, [x, y]::FLOAT[2] FROM winnow.coordinates WHERE projection_id = ? ORDER BY sample_id',
    where,
    2,
    count,
  );
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = vectors[2 * i]!;
    y[i] = vectors[2 * i + 1]!;
  }
  const table = tableFromArrays({ sample_id: ids, x, y });
  sendBytes(response, tableToIPC(table, 'stream'), 'application/vnd.apache.arrow.stream');
  return RESPONDED;
}

/**
 * A model's embeddings as Arrow IPC, on request (a notebook's own analysis, a second view):
 * `sample_id` int32 and `vector`, a fixed-size list of float32, in sample id order.
 */
async function sendEmbeddings(
  ws: Workspace,
  dataset: Dataset,
  name: string | undefined,
  response: ServerResponse,
) {
  const model = await findModel(ws.db, dataset, name);
  const table = embeddingTable(model);
  const count = Number(await ws.db.value(`SELECT count(*) FROM ${table}`));
  const { ids, vectors } = await readVectors(
    ws.db,
    `SELECT sample_id, vector FROM ${table} ORDER BY sample_id`,
    [],
    model.dim,
    count,
  );
  const type = new FixedSizeList(model.dim, new Field('value', new Float32(), false));
  const vector = makeVector(
    makeData({ type, length: count, nullCount: 0, child: makeData({ type: new Float32(), data: vectors }) }),
  );
  sendBytes(
    response,
    tableToIPC(new Table({ sample_id: makeVector(ids), vector }), 'stream'),
    'application/vnd.apache.arrow.stream',
  );
  return RESPONDED;
}

/** A stored object for the browser: a redirect to its signed URL, or its bytes when the store signs none. */
async function sendObject(
  response: ServerResponse,
  url: string | undefined,
  read: () => Promise<Uint8Array>,
  contentType: string,
) {
  if (url) {
    response.writeHead(302, { ...BASE_HEADERS, location: url });
    response.end();
  } else sendBytes(response, await read(), contentType);
  return RESPONDED;
}

function startJob(ws: Workspace, jobs: Jobs, credentials: Map<string, DatasetSecrets>, job: JobRequest) {
  const secrets = credentials.get(job.dataset);
  const needDataset = () => ws.dataset(job.dataset);
  const work: Parameters<Jobs['start']>[2] = (signal, onProgress) => {
    const running = { secrets, signal, onProgress };
    switch (job.kind) {
      case 'ingest':
        return ingest(ws, job.location, {
          ...job.options,
          storage: storageOptions(job.options?.storage, 'storage'),
          workStorage: storageOptions(job.options?.workStorage, 'workStorage'),
          dataset: job.dataset,
          ...running,
        });
      case 'embed':
        return needDataset().then(
          (d): Promise<unknown> =>
            job.options?.ray
              ? embedOnRay(ws, d, { ...job.options, ray: job.options.ray, ...running })
              : embedDataset(ws, d, { ...job.options, ...running }),
        );
      case 'analyze':
        return needDataset().then((d) => analyze(ws, d, { ...job.options, ...running }));
      case 'import':
        return needDataset().then((d) => runImport(ws, d, job.source, { signal, onProgress }));
      case 'select':
        return needDataset().then((d) =>
          runSelection(ws, d, checkSelectionConfig(job.config, 'config'), {
            tag: job.tag,
            secrets: secrets?.work,
            signal,
            onProgress,
          }),
        );
    }
  };
  return jobs.start(job.kind, job.dataset, work);
}

function changeTag(tags: Tags, name: string, body: Record<string, unknown>) {
  return tags.addAndRemove(name, {
    add: body.add === undefined ? [] : sampleIds(body.add, 'add'),
    remove: body.remove === undefined ? [] : sampleIds(body.remove, 'remove'),
  });
}

/** Server-sent events: `progress` while the job runs, then one `end` with its state and result. */
async function streamEvents(jobs: Jobs, context: RequestContext) {
  const { response, request } = context;
  jobs.get(context.params.id!);
  response.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
  const stop = jobs.follow(context.params.id!, (event) => {
    response.write(
      `event: ${event.type}\ndata: ${JSON.stringify(event.type === 'end' ? event.job : event.progress)}\n\n`,
    );
    if (event.type === 'end') response.end();
  });
  request.on('close', stop);
  return RESPONDED;
}

/** Storage options as the CLI writes them (`["endpoint=…", "path-style"]`), else already checked by the contract. */
function storageOptions(
  value: string[] | DatasourceOptions | undefined,
  field: string,
): DatasourceOptions | undefined {
  return Array.isArray(value) ? parseStorageOptions(value, field) : value;
}

function optionalInteger(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new WinnowError('invalid_argument', `${field}: expected a non-negative integer`);
  }
  return number;
}

function sampleId(context: RequestContext): number {
  return optionalInteger(context.params.id, 'sample id')!;
}

function annotationId(context: RequestContext): number {
  return optionalInteger(context.params.annotation, 'annotation id')!;
}
