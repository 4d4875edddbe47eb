import { type Table, tableFromIPC } from 'apache-arrow';
// The request bodies, as core's contract declares them (core/src/contract; types only as well).
import type { JobInfo as Job, JobRequest } from '../../core/src/contract/jobs.js';
import type {
  AnnotationChange,
  CaptionRequest,
  SamplesByIdRequest,
} from '../../core/src/contract/requests.js';
import type { LiveSelection } from '../../core/src/server/live-selection.js';
// Types only (erased from the bundle): the answers of the routes the views ask, as core declares them.
import type {
  DatasetVocabulary,
  FilterChip,
  QueryCondition,
  SamplePosition,
} from '../../core/src/server/view-answers.js';
import type { ApiRequest, Transport } from './transport.js';

export type { JobInfo as Job, JobState } from '../../core/src/contract/jobs.js';
export type { LiveSelection } from '../../core/src/server/live-selection.js';
export type {
  DatasetVocabulary,
  FilterChip,
  MetadataField,
  SamplePosition,
  TaskClasses,
} from '../../core/src/server/view-answers.js';

/** A server error as the views show it: the server's one-line message and its code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Sample {
  sample_id: number;
  kind: string;
  filename: string;
  format: string | null;
  width: number | null;
  height: number | null;
  status: string;
  reason: string | null;
  [field: string]: unknown;
}

export interface SamplePage {
  total: number;
  offset: number;
  limit: number;
  samples: Sample[];
}

export interface Label {
  task: string;
  category: string;
  /** [x, y, width, height] in pixels, or null for a class label. */
  box: number[] | null;
}

export interface Prediction extends Label {
  score: number | null;
}

export interface Annotation extends Label {
  annotation_id: number;
  sample_id: number;
  version: number;
}

export interface SampleDetail {
  sample: Sample;
  predictions: Prediction[];
  annotations: Annotation[];
  /** Null when the sample has none. */
  caption: string | null;
  tags: string[];
}

export interface Tag {
  name: string;
  count: number;
  [field: string]: unknown;
}

export type Facet =
  | { kind: 'histogram'; field: string; lo: number; hi: number; counts: number[] }
  | { kind: 'counts'; field: string; values: { value: string | null; count: number }[] };

export interface PageQuery {
  offset?: number;
  limit?: number;
  /** A read-only SQL condition over the `samples` view. */
  where?: string;
  /** A sample column, optionally followed by `desc`, e.g. `size desc`. */
  order?: string;
}

/** The typed API of the local server over any transport. Images come back as object URLs. */
export class Api {
  private readonly images = new ImageCache(512);

  constructor(private readonly transport: Transport) {}

  async json<T>(method: ApiRequest['method'], path: string, body?: unknown): Promise<T> {
    const response = await this.transport.request({ method, path, body });
    const text = new TextDecoder().decode(response.body);
    if (response.status >= 400) throw errorOf(response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async arrow(path: string): Promise<Table> {
    const response = await this.transport.request({ method: 'GET', path });
    if (response.status >= 400) throw errorOf(response.status, new TextDecoder().decode(response.body));
    return tableFromIPC(new Uint8Array(response.body));
  }

  /** An object URL of an image answer (thumbnail or media), cached; null when there is none. */
  async imageUrl(path: string): Promise<string | null> {
    const cached = this.images.get(path);
    if (cached !== undefined) return cached;
    const response = await this.transport.request({ method: 'GET', path });
    if (response.status >= 400) return null;
    const url = URL.createObjectURL(new Blob([response.body], { type: response.contentType }));
    this.images.set(path, url);
    return url;
  }

  datasetPath(dataset: string, rest = ''): string {
    return `/api/datasets/${encodeURIComponent(dataset)}${rest}`;
  }

  samples(dataset: string, query: PageQuery = {}): Promise<SamplePage> {
    return this.json('GET', this.datasetPath(dataset, `/samples?${searchOf(query)}`));
  }

  /** Samples by id, in the order given (at most 1,000). */
  samplesById(dataset: string, ids: ArrayLike<number>): Promise<{ samples: Sample[] }> {
    const body: SamplesByIdRequest = { ids: Array.from(ids) };
    return this.json('POST', this.datasetPath(dataset, '/samples/by-id'), body);
  }

  sample(dataset: string, id: number): Promise<SampleDetail> {
    return this.json('GET', this.datasetPath(dataset, `/samples/${id}`));
  }

  thumbnail(dataset: string, id: number): Promise<string | null> {
    return this.imageUrl(this.datasetPath(dataset, `/samples/${id}/thumbnail`));
  }

  media(dataset: string, id: number): Promise<string | null> {
    return this.imageUrl(this.datasetPath(dataset, `/samples/${id}/media`));
  }

  /** The 2-D points: `sample_id` int32, `x` and `y` float32. */
  points(dataset: string, projection?: string): Promise<Table> {
    const query = projection ? `?projection=${encodeURIComponent(projection)}` : '';
    return this.arrow(this.datasetPath(dataset, `/points${query}`));
  }

  /** The ids of the samples meeting `where`, in id order (Arrow: `sample_id` int32). */
  matchingIds(dataset: string, where: string): Promise<Int32Array> {
    return this.ids(this.datasetPath(dataset, `/ids?where=${encodeURIComponent(where)}`));
  }

  /** The current members of a tag, in id order. */
  tagIds(dataset: string, tag: string): Promise<Int32Array> {
    return this.ids(this.datasetPath(dataset, `/tags/${encodeURIComponent(tag)}/ids`));
  }

  private async ids(path: string): Promise<Int32Array> {
    const table = await this.arrow(path);
    return (table.getChild('sample_id')?.toArray() as Int32Array | undefined) ?? new Int32Array(0);
  }

  /** The dataset's tasks and classes, prediction tasks, embedding models and metadata keys. */
  vocabulary(dataset: string): Promise<DatasetVocabulary> {
    return this.json('GET', this.datasetPath(dataset, '/vocabulary'));
  }

  /** Where a sample stands among the samples meeting `where`, in id order. */
  position(dataset: string, id: number, where: string): Promise<SamplePosition> {
    const search = where ? `?where=${encodeURIComponent(where)}` : '';
    return this.json('GET', this.datasetPath(dataset, `/samples/${id}/position${search}`));
  }

  /** The query bar's chips and SQL text as one condition, written by the server. */
  async condition(dataset: string, chips: readonly FilterChip[], sql: string): Promise<string> {
    const answer = await this.json<QueryCondition>('POST', this.datasetPath(dataset, '/conditions'), {
      chips,
      sql,
    });
    return answer.where;
  }

  /**
   * The dataset's live selection, shared by every view and client of the server; with `after`, the
   * server answers once its version passes `after` (or, after a while, as it is): a long poll.
   */
  selection(dataset: string, after?: number): Promise<LiveSelection> {
    const search = after === undefined ? '' : `?after=${after}`;
    return this.json('GET', this.datasetPath(dataset, `/selection${search}`));
  }

  /** Makes `ids` the dataset's live selection, made by `source` (the view's name). */
  setSelection(dataset: string, ids: ArrayLike<number>, source: string): Promise<LiveSelection> {
    return this.json('PUT', this.datasetPath(dataset, '/selection'), {
      sample_ids: Array.from(ids),
      source,
    });
  }

  /**
   * A colour column: `sample_id` int32 and `value`, float32 for a numeric field (typicality, width,
   * height, size…) or a dictionary of strings for a categorical one (kind, format, status,
   * prediction.category, annotation.category, tag).
   */
  colors(dataset: string, by: string): Promise<Table> {
    return this.arrow(this.datasetPath(dataset, `/colors?by=${encodeURIComponent(by)}`));
  }

  facet(dataset: string, field: string, where?: string, bins?: number): Promise<Facet> {
    const search = new URLSearchParams({ field });
    if (where) search.set('where', where);
    if (bins) search.set('bins', String(bins));
    return this.json('GET', this.datasetPath(dataset, `/facets?${search}`));
  }

  query(dataset: string, sql: string, maxRows?: number) {
    return this.json<{ columns: string[]; rows: Record<string, unknown>[]; truncated: boolean }>(
      'POST',
      this.datasetPath(dataset, '/query'),
      { sql, max_rows: maxRows },
    );
  }

  tags(dataset: string): Promise<Tag[]> {
    return this.json('GET', this.datasetPath(dataset, '/tags'));
  }

  /** Adds samples to a tag and removes others from it (the tag is created on first use). */
  changeTag(dataset: string, name: string, change: { add?: number[]; remove?: number[] }): Promise<Tag> {
    return this.json('PATCH', this.datasetPath(dataset, `/tags/${encodeURIComponent(name)}`), change);
  }

  addAnnotation(dataset: string, sampleId: number, label: Label): Promise<Annotation> {
    // A class label goes without a box: the server refuses `box: null` on an add.
    const { box, ...classLabel } = label;
    const body = box ? label : classLabel;
    return this.json('POST', this.datasetPath(dataset, `/samples/${sampleId}/annotations`), body);
  }

  changeAnnotation(dataset: string, annotationId: number, change: AnnotationChange): Promise<Annotation> {
    return this.json('PATCH', this.datasetPath(dataset, `/annotations/${annotationId}`), change);
  }

  deleteAnnotation(dataset: string, annotationId: number): Promise<unknown> {
    return this.json('DELETE', this.datasetPath(dataset, `/annotations/${annotationId}`));
  }

  /** Sets a sample's caption (the server trims it); null or blank removes it. */
  setCaption(
    dataset: string,
    sampleId: number,
    caption: CaptionRequest['caption'],
  ): Promise<{ sample_id: number; caption: string | null; version: number }> {
    return this.json('PUT', this.datasetPath(dataset, `/samples/${sampleId}/caption`), { caption });
  }

  startJob(job: JobRequest): Promise<Job> {
    return this.json('POST', '/api/jobs', job);
  }

  job(id: string): Promise<Job> {
    return this.json('GET', `/api/jobs/${encodeURIComponent(id)}`);
  }

  cancelJob(id: string): Promise<Job> {
    return this.json('DELETE', `/api/jobs/${encodeURIComponent(id)}`);
  }

  /** Polls a job until it ends (polling works over every transport, server-sent events do not). */
  async followJob(id: string, onProgress: (job: Job) => void, intervalMs = 300): Promise<Job> {
    for (;;) {
      const job = await this.job(id);
      onProgress(job);
      if (job.state !== 'queued' && job.state !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  dispose(): void {
    this.images.clear();
  }
}

function searchOf(query: PageQuery): URLSearchParams {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  return search;
}

function errorOf(status: number, text: string): ApiError {
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return new ApiError(error.message, error.code, status);
  } catch {
    return new ApiError(text.slice(0, 200) || `HTTP ${status}`, 'error', status);
  }
}

/** Object URLs of the most recent images; the oldest is revoked when the cache is full. */
class ImageCache {
  private readonly urls = new Map<string, string | null>();

  constructor(private readonly capacity: number) {}

  get(key: string): string | null | undefined {
    const url = this.urls.get(key);
    if (url !== undefined) {
      this.urls.delete(key);
      this.urls.set(key, url);
    }
    return url;
  }

  set(key: string, url: string | null): void {
    this.urls.set(key, url);
    if (this.urls.size <= this.capacity) return;
    const [oldest, oldUrl] = this.urls.entries().next().value as [string, string | null];
    this.urls.delete(oldest);
    if (oldUrl) URL.revokeObjectURL(oldUrl);
  }

  clear(): void {
    for (const url of this.urls.values()) if (url) URL.revokeObjectURL(url);
    this.urls.clear();
  }
}
