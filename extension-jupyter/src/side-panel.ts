import type { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { Api } from '@winnow-curate/widgets';
import { NOT_LOADED, openKernelComm } from './kernel-comm';

/** A dataset as `GET /api/datasets` lists it (core/src/server/api.ts). */
interface DatasetSummary {
  name: string;
  samples: number;
}

/** A tag as `GET /api/datasets/:d/tags` lists it (core/src/tags/tags.ts `TagInfo`). */
interface TagSummary {
  name: string;
  size: number;
}

/** A run as `GET /api/datasets/:d/runs` lists it, newest first. */
interface RunSummary {
  run_id: string;
  kind: string;
  status: string;
  started_at: string | null;
}

/** A notebook or console: a widget whose session may hold a kernel. */
export interface KernelHolder {
  title: { label: string };
  sessionContext: { session?: { kernel?: Kernel.IKernelConnection | null } | null };
}

/**
 * The Winnow side panel: the workspace's datasets with their sample counts, tags and runs, read
 * through the kernel of the notebook last in focus (the browser never reaches the server).
 */
export class WinnowSidePanel extends Widget {
  private readonly list = document.createElement('div');
  private readonly status = document.createElement('div');
  private holder: KernelHolder | null = null;
  private refreshing = 0;

  constructor() {
    super();
    this.id = 'winnow-side-panel';
    this.addClass('winnow-side-panel');
    this.title.caption = 'Winnow: datasets, tags and runs';
    const header = document.createElement('div');
    header.className = 'winnow-side-panel-header';
    const title = document.createElement('h2');
    title.textContent = 'Winnow';
    const refresh = document.createElement('button');
    refresh.className = 'jp-Button jp-mod-styled winnow-side-panel-refresh';
    refresh.textContent = 'Refresh';
    refresh.title = 'List the datasets again';
    refresh.addEventListener('click', () => void this.refresh());
    header.append(title, refresh);
    this.status.className = 'winnow-side-panel-status';
    this.list.className = 'winnow-side-panel-list';
    this.node.append(header, this.status, this.list);
    this.showMessage(NOT_LOADED);
  }

  /** Reads through the kernel of `holder` (the notebook in focus) from now on; its kernel is
   * taken at each refresh, as it starts, restarts or changes. */
  follow(holder: KernelHolder): void {
    if (holder === this.holder) return;
    this.holder = holder;
    if (this.isVisible) void this.refresh();
  }

  protected override onAfterShow(): void {
    void this.refresh();
  }

  /** Lists the datasets again; an answer overtaken by a newer refresh is dropped. */
  async refresh(): Promise<void> {
    const request = ++this.refreshing;
    const kernel = this.holder?.sessionContext.session?.kernel;
    if (!this.holder || !kernel) {
      this.showMessage(NOT_LOADED);
      return;
    }
    const source = this.holder.title.label;
    this.showMessage(`Reading through the kernel of ${source}…`);
    const comm = openKernelComm(kernel);
    try {
      const api = new Api(comm.transport);
      const datasets = await api.json<DatasetSummary[]>('GET', '/api/datasets');
      const details = await Promise.all(
        datasets.map(async (dataset) => ({
          dataset,
          tags: await api.json<TagSummary[]>('GET', api.datasetPath(dataset.name, '/tags')),
          runs: await api.json<RunSummary[]>('GET', api.datasetPath(dataset.name, '/runs')),
        })),
      );
      if (request !== this.refreshing) return;
      this.list.replaceChildren(
        ...details.map(({ dataset, tags, runs }) => datasetNode(dataset, tags, runs)),
      );
      this.status.textContent = datasets.length
        ? `Through the kernel of ${source}`
        : `No datasets yet: %winnow ingest FOLDER --dataset NAME (kernel of ${source})`;
    } catch (error) {
      if (request === this.refreshing) this.showMessage((error as Error).message);
    } finally {
      comm.close();
    }
  }

  /** A message in place of the list. */
  private showMessage(message: string): void {
    this.status.textContent = message;
    this.list.replaceChildren();
  }
}

function datasetNode(dataset: DatasetSummary, tags: TagSummary[], runs: RunSummary[]): HTMLElement {
  const node = document.createElement('details');
  node.className = 'winnow-side-panel-dataset';
  node.dataset.dataset = dataset.name;
  node.open = true;
  const summary = document.createElement('summary');
  summary.append(text('span', dataset.name, 'winnow-side-panel-name'));
  summary.append(
    text('span', `${dataset.samples.toLocaleString('en-US')} samples`, 'winnow-side-panel-count'),
  );
  node.append(summary);
  node.append(
    group(
      'Tags',
      tags.map((tag) => [tag.name, tag.size.toLocaleString('en-US')]),
      'no tags',
    ),
    group(
      'Runs',
      runs.map((run) => [run.kind, [run.status, startedAt(run)].filter(Boolean).join(' · ')]),
      'no runs',
    ),
  );
  return node;
}

/** When a run started, short and in the user's time zone ('' when unknown). */
function startedAt(run: RunSummary): string {
  if (!run.started_at) return '';
  const time = new Date(run.started_at);
  if (Number.isNaN(time.getTime())) return run.started_at;
  return time.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** A titled list of `[label, detail]` rows, or `empty` when there are none. */
function group(title: string, rows: [string, string][], empty: string): HTMLElement {
  const node = document.createElement('div');
  node.className = 'winnow-side-panel-group';
  node.dataset.group = title.toLowerCase();
  node.append(text('div', title, 'winnow-side-panel-group-title'));
  if (rows.length === 0) node.append(text('div', empty, 'winnow-side-panel-empty'));
  for (const [label, detail] of rows) {
    const row = document.createElement('div');
    row.className = 'winnow-side-panel-row';
    row.append(
      text('span', label, 'winnow-side-panel-label'),
      text('span', detail, 'winnow-side-panel-detail'),
    );
    node.append(row);
  }
  return node;
}

function text(tag: string, content: string, className: string): HTMLElement {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = content;
  return element;
}
