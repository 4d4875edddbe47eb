import { Api } from './api.js';
import { mountFacets } from './facets.js';
import { mountGrid } from './grid.js';
import { mountLabelPanel } from './label.js';
import { h } from './panel-dom.js';
import { mountQueryBar } from './query.js';
import { mountScatter } from './scatter/scatter.js';
import { mountSelectionPanel } from './selection-panel.js';
import { syncSelection } from './selection-sync.js';
import { type Mounted, type ViewContext, ViewState } from './state.js';
import { injectStyles } from './styles.js';
import type { Transport } from './transport.js';

export type ViewName = 'scatter' | 'grid' | 'label';

export interface ViewOptions {
  view: ViewName;
  dataset: string;
  /** The starting query: a read-only SQL condition over the `samples` view. */
  where?: string;
  /** The scatter's point budget (default 10M): past it, a density image (tests set it low). */
  pointBudget?: number;
}

export interface ViewHost {
  transport: Transport;
  /** Called with the selected sample ids on every change of the selection. */
  onSelection?(ids: Int32Array): void;
  /** Called with the query (an SQL condition, '' for all) whenever the user changes it. */
  onWhere?(where: string): void;
}

export interface MountedView {
  dispose(): void;
  setWhere(where: string): void;
}

type Layout = (root: HTMLElement, ctx: ViewContext, options: ViewOptions) => Mounted[];

const LAYOUTS: Record<ViewName, Layout> = {
  scatter: scatterLayout,
  grid: gridLayout,
  label: labelLayout,
};

/**
 * The one entry the hosts call: mounts a view of a dataset into `element`, its panels linked by
 * one `ViewState`, every request through `host.transport`.
 */
export function mountView(element: HTMLElement, options: ViewOptions, host: ViewHost): MountedView {
  const layout = LAYOUTS[options.view];
  if (!layout) throw new Error(`view: '${options.view}' is not one of ${Object.keys(LAYOUTS).join(', ')}`);
  injectStyles();
  const api = new Api(host.transport);
  const state = new ViewState();
  state.where = options.where ?? '';
  const root = h('div', { class: `winnow-panel winnow-view winnow-layout-${options.view}` });
  element.append(root);
  const parts = layout(root, { api, dataset: options.dataset, state }, options);
  const stopSelection = state.on('selection', () => host.onSelection?.(state.selection));
  const stopWhere = state.on('where', () => host.onWhere?.(state.where));
  return {
    dispose() {
      stopSelection();
      stopWhere();
      for (const part of parts.reverse()) part.dispose();
      root.remove();
      api.dispose();
    },
    setWhere: (where) => state.set('where', where),
  };
}

function slot(name: string): HTMLElement {
  return h('div', { class: `winnow-slot winnow-slot-${name}` });
}

/** Query bar; the scatter and, beside it, the grid of its selection (or of the query); the selection panel. */
function scatterLayout(root: HTMLElement, ctx: ViewContext, options: ViewOptions): Mounted[] {
  const [query, scatter, grid, selection] = ['query', 'scatter', 'grid', 'selection'].map(
    slot,
  ) as HTMLElement[];
  // Closed at first: the scatter and the grid get the width until a selection run is wanted.
  const side = h('details', { class: 'winnow-side' }, h('summary', {}, 'Selection'), selection);
  root.append(query!, h('div', { class: 'winnow-view-main' }, scatter, grid, side));
  return [
    mountQueryBar(query!, ctx),
    mountScatter(scatter!, ctx, { pointBudget: options.pointBudget }),
    mountGrid(grid!, ctx, { followSelection: true }),
    mountSelectionPanel(selection!, ctx),
    syncSelection(ctx, 'scatter'),
  ];
}

/** Query bar; facets, the grid and, while a sample is open, its detail and labels. */
function gridLayout(root: HTMLElement, ctx: ViewContext): Mounted[] {
  const [query, facets, grid, detail] = ['query', 'facets', 'grid', 'detail'].map(slot) as HTMLElement[];
  root.append(query!, h('div', { class: 'winnow-view-main' }, facets, grid, detail));
  return [
    mountQueryBar(query!, ctx),
    mountFacets(facets!, ctx),
    mountGrid(grid!, ctx),
    mountDetail(detail!, ctx),
    syncSelection(ctx, 'grid'),
  ];
}

/** The label panel over the samples meeting the query (it shows no selection, so follows none). */
function labelLayout(root: HTMLElement, ctx: ViewContext): Mounted[] {
  const label = slot('label');
  root.append(label);
  return [mountLabelPanel(label, ctx)];
}

/** The label panel, there only while a sample is open (`state.focus`); × or Escape in the grid closes it. */
function mountDetail(element: HTMLElement, ctx: ViewContext): Mounted {
  const close = h('button', { type: 'button', 'data-action': 'close-detail', title: 'Close' }, '×');
  const body = h('div', { class: 'winnow-slot winnow-slot-label' });
  element.append(
    h('div', { class: 'winnow-toolbar' }, h('span', { class: 'winnow-grid-count' }, 'Sample'), close),
    body,
  );
  close.addEventListener('click', () => ctx.state.set('focus', null));
  let panel: Mounted | null = null;
  const update = () => {
    const open = ctx.state.focus !== null;
    element.hidden = !open;
    if (open && !panel) panel = mountLabelPanel(body, ctx);
    if (!open && panel) {
      panel.dispose();
      panel = null;
    }
  };
  const stop = ctx.state.on('focus', update);
  update();
  return {
    dispose() {
      stop();
      panel?.dispose();
    },
  };
}
