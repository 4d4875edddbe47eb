import type { JobInfo, JobRequest } from '../contract/jobs.js';
import type {
  CombineRequest,
  CredentialsRequest,
  ExportRequest,
  QueryRequest,
  SearchRequest,
} from '../contract/requests.js';
import type { SearchResult } from '../embed/search.js';
import { type ErrorCode, type Progress, WinnowError } from '../errors.js';
import type { ExportResult } from '../export/run.js';
import type { QueryResult } from '../query/run.js';
import type { Selection } from '../query/selection.js';
import type { RuntimeInfo } from '../server/runtime.js';
import type { SampleLookup } from '../server/sample-lookup.js';
import type { sampleDetail } from '../server/samples.js';
import type { SelectionAnswer } from '../server/selection-routes.js';
import type { PermissionReport } from '../storage/verify.js';
import type { WorkspaceInfo } from '../store/info.js';
import type { TagDetail } from '../tags/detail.js';
import type { TagChange, TagInfo, TagVersion } from '../tags/tags.js';

/** GET /api/datasets/:dataset/samples/:id's answer. */
export type SampleDetail = Awaited<ReturnType<typeof sampleDetail>>;

export interface JobFollowing {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/**
 * A typed client of a running Winnow server (core/src/server/api.ts), for any local process that
 * is not the server: the `winnow` command, and the VS Code extension. Errors come back as the
 * WinnowError the server raised (same code, same message), so a client reports them as the
 * engine would have in its own process.
 */
export class ServerClient {
  constructor(private readonly server: Pick<RuntimeInfo, 'url' | 'token'>) {}

  /** One request; the answer's JSON, or the server's error thrown as a WinnowError. */
  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.send(method, path, body, signal);
    return (await response.json()) as T;
  }

  /** Read-only SQL over the workspace's views (one dataset's with `dataset`); `timeout` in seconds. */
  query(body: QueryRequest, signal?: AbortSignal): Promise<QueryResult> {
    return this.request('POST', '/api/query', body, signal);
  }

  /** The workspace and its datasets (one dataset's only, when named): what `winnow info` reports. */
  info(dataset?: string): Promise<WorkspaceInfo> {
    return this.request('GET', dataset ? `${datasetPath(dataset)}/info` : '/api/info');
  }

  tags(dataset: string): Promise<TagInfo[]> {
    return this.request('GET', `${datasetPath(dataset)}/tags`);
  }

  /** A tag's size and history; its files with `files`, or as it was `at` a version or ISO 8601 time. */
  tag(dataset: string, name: string, options: { at?: string; files?: boolean } = {}): Promise<TagDetail> {
    const query = new URLSearchParams();
    if (options.at !== undefined) query.set('at', options.at);
    if (options.files) query.set('files', 'true');
    return this.request('GET', `${tagPath(dataset, name)}?${query}`);
  }

  createTag(dataset: string, name: string, selection: Selection): Promise<TagChange> {
    return this.request('POST', `${datasetPath(dataset)}/tags`, { name, selection });
  }

  /** Adds the selection's samples to the tag, or removes them from it. */
  changeTag(
    dataset: string,
    name: string,
    change: 'add' | 'remove',
    selection: Selection,
  ): Promise<TagChange> {
    return this.request('POST', `${tagPath(dataset, name)}/${change}`, { selection });
  }

  /** A new tag `name`: the union, intersection or difference of `sources`. */
  combineTags(
    dataset: string,
    name: string,
    operation: CombineRequest['operation'],
    sources: string[],
  ): Promise<TagChange> {
    return this.request('POST', `${tagPath(dataset, name)}/combine`, { operation, sources });
  }

  renameTag(dataset: string, name: string, newName: string): Promise<TagInfo> {
    return this.request('POST', `${tagPath(dataset, name)}/rename`, { name: newName });
  }

  deleteTag(dataset: string, name: string): Promise<TagVersion> {
    return this.request('DELETE', tagPath(dataset, name));
  }

  /** Exports the selection: the filenames, or what the server wrote to `request.out`. */
  export(dataset: string, request: ExportRequest): Promise<ExportResult> {
    return this.request('POST', `${datasetPath(dataset)}/export`, request);
  }

  /** The samples nearest to a text, an image file (a path on the server's machine) or a sample. */
  search(dataset: string, options: SearchRequest, signal?: AbortSignal): Promise<SearchResult> {
    return this.request('POST', `${datasetPath(dataset)}/search`, options, signal);
  }

  /** What the server may do with the dataset's locations: list and read the input, write the work location. */
  verify(dataset: string): Promise<PermissionReport> {
    return this.request('POST', `${datasetPath(dataset)}/verify`);
  }

  /** The dataset's live selection (what was lassoed or picked last, in any client), with its samples' locations. */
  selection(dataset: string): Promise<Required<SelectionAnswer>> {
    return this.request('GET', `${datasetPath(dataset)}/selection?files=true`);
  }

  /** Which samples of the workspace's datasets a filename (relative, absolute, or URL) is. */
  lookupSample(location: string, signal?: AbortSignal): Promise<SampleLookup> {
    return this.request('GET', `/api/samples/lookup?${new URLSearchParams({ location })}`, undefined, signal);
  }

  /** One sample with its predictions, human labels, caption and tags: what the detail panel shows. */
  sample(dataset: string, id: number, signal?: AbortSignal): Promise<SampleDetail> {
    return this.request('GET', `${datasetPath(dataset)}/samples/${id}`, undefined, signal);
  }

  /**
   * A sample's thumbnail (JPEG): the server's bytes, or those of the signed URL it redirects to
   * for a bucket, fetched without the server's token.
   */
  async thumbnail(dataset: string, id: number, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `${datasetPath(dataset)}/samples/${id}/thumbnail`;
    const response = await this.send('GET', path, undefined, signal, 'manual');
    const signed = response.status === 302 ? response.headers.get('location') : null;
    const answer = signed ? await fetch(signed, { signal, redirect: 'error' }) : response;
    if (!answer.ok) {
      throw new WinnowError(
        'unavailable',
        `the thumbnail of sample ${id} of '${dataset}': ${answer.status} from its store`,
      );
    }
    return new Uint8Array(await answer.arrayBuffer());
  }

  /** Hands the server credentials for a dataset's locations, kept in its memory only. */
  setCredentials(dataset: string, secrets: CredentialsRequest): Promise<unknown> {
    return this.request('POST', `${datasetPath(dataset)}/credentials`, secrets);
  }

  /**
   * Starts a job and follows it to its end: its progress to `onProgress`, its result returned.
   * An abort of `signal` cancels the job on the server and waits for it to stop, then throws
   * `cancelled`, like the same work in this process.
   */
  async runJob<T>(job: JobRequest, following: JobFollowing = {}): Promise<T> {
    const started = await this.request<JobInfo>('POST', '/api/jobs', job);
    const cancel = () => void this.request('DELETE', `/api/jobs/${started.id}`).catch(() => undefined);
    following.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const ended = await this.followJob(started.id, following.onProgress);
      if (ended.state === 'done') return ended.result as T;
      throw new WinnowError(
        ended.state === 'cancelled' ? 'cancelled' : 'internal',
        ended.error ?? ended.state,
      );
    } finally {
      following.signal?.removeEventListener('abort', cancel);
    }
  }

  /** Reads a job's event stream (GET /api/jobs/:id/events) until its `end`; returns the ended job. */
  async followJob(id: string, onProgress?: (progress: Progress) => void): Promise<JobInfo> {
    const response = await this.send('GET', `/api/jobs/${id}/events`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const event = parseEvent(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (event.type === 'end') return event.data as JobInfo;
        if (event.type === 'progress') onProgress?.(event.data as Progress);
        end = buffered.indexOf('\n\n');
      }
    }
    // The stream closed without an end (the server stopped): the job's last known state.
    return this.request<JobInfo>('GET', `/api/jobs/${id}`);
  }

  /** `redirect: 'manual'` hands a 302 back to the caller, who follows it without the token. */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    redirect: 'error' | 'manual' = 'error',
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.server.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect,
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw new WinnowError('cancelled', 'cancelled');
      throw new WinnowError(
        'unavailable',
        `the workspace's server at ${this.server.url} did not answer: ${(error as Error).message}`,
      );
    }
    if (response.ok || (redirect === 'manual' && response.status === 302)) return response;
    const answer = (await response.json().catch(() => ({}))) as {
      error?: { code: ErrorCode; message: string };
    };
    throw new WinnowError(
      answer.error?.code ?? 'internal',
      answer.error?.message ?? `the server answered ${response.status} to ${method} ${path}`,
    );
  }
}

/** The path of a dataset's routes, its name escaped. */
function datasetPath(dataset: string): string {
  return `/api/datasets/${encodeURIComponent(dataset)}`;
}

function tagPath(dataset: string, name: string): string {
  return `${datasetPath(dataset)}/tags/${encodeURIComponent(name)}`;
}

function parseEvent(block: string): { type: string; data: unknown } {
  let type = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  return { type, data: data ? JSON.parse(data) : undefined };
}
