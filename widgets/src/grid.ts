import type { Sample } from './api.js';
import { h, messageOf } from './panel-dom.js';
import type { Mounted, ViewContext } from './state.js';

export interface GridOptions {
  /**
   * Show the selection while there is one, else the query (the scatter's companion, where the
   * scatter makes the selection): clicks open a sample (`state.focus`) instead of selecting.
   */
  followSelection?: boolean;
}

/** Samples a request asks for. */
export const PAGE_SIZE = 200;
/** The sort orders: [server order, label]. */
export const SORTS: readonly [string, string][] = [
  ['', 'id'],
  ['filename', 'filename'],
  ['size desc', 'size (largest first)'],
  ['width', 'width'],
  ['height', 'height'],
];
/** Browsers stop growing an element somewhere above 16M pixels; past this the scroll is scaled. */
export const MAX_SPACER_HEIGHT = 8_000_000;
const MIN_TILE_WIDTH = 136;
const CAPTION_HEIGHT = 22;
const PAGES_IN_FLIGHT = 3;
const PAGES_KEPT = 100;

export interface WindowInput {
  total: number;
  columns: number;
  rowHeight: number;
  scrollTop: number;
  viewportHeight: number;
  /** Rows rendered beyond each edge of the viewport (default 2). */
  overscan?: number;
  maxHeight?: number;
}

export interface VirtualWindow {
  /** The spacer's height: the content's, or MAX_SPACER_HEIGHT when that is taller. */
  spacerHeight: number;
  firstRow: number;
  rows: number;
  /** Samples [firstIndex, endIndex) are rendered. */
  firstIndex: number;
  endIndex: number;
  /** Where the first rendered row goes, in spacer pixels. */
  top: number;
}

/** Which rows a scroll position shows, for a grid of `total` samples in `columns`. */
export function virtualWindow(input: WindowInput): VirtualWindow {
  const { total, columns, rowHeight, scrollTop, viewportHeight } = input;
  const overscan = input.overscan ?? 2;
  const rowCount = Math.ceil(total / columns);
  const spacerHeight = Math.min(rowCount * rowHeight, input.maxHeight ?? MAX_SPACER_HEIGHT);
  const offset = contentOffset(input, scrollTop);
  const firstRow = clamp(Math.floor(offset / rowHeight) - overscan, 0, rowCount);
  const endRow = clamp(Math.ceil((offset + viewportHeight) / rowHeight) + overscan, firstRow, rowCount);
  return {
    spacerHeight,
    firstRow,
    rows: endRow - firstRow,
    firstIndex: firstRow * columns,
    endIndex: Math.min(total, endRow * columns),
    top: scrollTop + firstRow * rowHeight - offset,
  };
}

/** The content position (pixels from the first row's top) at the viewport's top. */
export function contentOffset(input: WindowInput, scrollTop: number): number {
  const { contentHeight, spacerHeight, scrollable } = extents(input);
  if (contentHeight <= spacerHeight) return scrollTop;
  return scrollable > 0 ? (scrollTop / scrollable) * (contentHeight - input.viewportHeight) : 0;
}

/** The scroll position that puts content position `offset` at the viewport's top. */
export function scrollTopFor(input: WindowInput, offset: number): number {
  const { contentHeight, spacerHeight, scrollable } = extents(input);
  if (contentHeight <= spacerHeight) return offset;
  return (offset / (contentHeight - input.viewportHeight)) * scrollable;
}

function extents(input: WindowInput) {
  const contentHeight = Math.ceil(input.total / input.columns) * input.rowHeight;
  const spacerHeight = Math.min(contentHeight, input.maxHeight ?? MAX_SPACER_HEIGHT);
  return { contentHeight, spacerHeight, scrollable: spacerHeight - input.viewportHeight };
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** Where the grid's samples come from: a query page by page, or the selection's ids. */
interface Source {
  kind: 'query' | 'selection';
  load(page: number): Promise<{ total: number; samples: Sample[] }>;
}

function querySource(ctx: ViewContext, order: string): Source {
  const { api, dataset, state } = ctx;
  const where = state.where;
  return {
    kind: 'query',
    load: (page) => api.samples(dataset, { offset: page * PAGE_SIZE, limit: PAGE_SIZE, where, order }),
  };
}

/** The selection in id order (a sort order would need the server to sort the set). */
function selectionSource(ctx: ViewContext): Source {
  const ids = Int32Array.from(ctx.state.selection).sort();
  return {
    kind: 'selection',
    load: async (page) => {
      const { samples } = await ctx.api.samplesById(
        ctx.dataset,
        ids.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE),
      );
      return { total: ids.length, samples };
    },
  };
}

/**
 * The sample grid: thumbnails of millions of samples with only the visible rows in the DOM,
 * fetched a page at a time. Click selects, Ctrl/⌘-click toggles, Shift-click selects a range;
 * double-click or Enter opens the sample (`state.focus`); the arrow keys move the cursor.
 */
export function mountGrid(element: HTMLElement, ctx: ViewContext, options: GridOptions = {}): Mounted {
  const grid = new Grid(ctx, options.followSelection ?? false);
  element.append(grid.root);
  grid.start();
  return { dispose: () => grid.dispose() };
}

class Grid {
  readonly root = h('div', { class: 'winnow-grid' });
  private readonly count = h('span', { class: 'winnow-grid-count', 'data-role': 'count' }, 'Loading…');
  private readonly sort = h('select', {
    class: 'winnow-select',
    'data-control': 'sort',
    'aria-label': 'Sort',
  });
  private readonly scroller = h('div', { class: 'winnow-grid-scroller', tabindex: 0 });
  private readonly spacer = h('div', { class: 'winnow-grid-spacer' });
  private readonly tiles = h('div', { class: 'winnow-grid-tiles' });
  private readonly stops: (() => void)[] = [];
  private readonly pages = new Map<number, Sample[]>();
  private readonly loading = new Set<number>();
  private readonly rendered = new Map<number, HTMLElement>();
  private source!: Source;
  private generation = 0;
  private total: number | null = null;
  /** A page failed: the error shows instead of the count, and nothing more is asked until a reset. */
  private failed = false;
  private layout = { columns: 1, rowHeight: MIN_TILE_WIDTH + CAPTION_HEIGHT };
  private selected: Int32Array = new Int32Array(0);
  private cursor = -1;
  private anchor = -1;
  private frame = 0;

  constructor(
    private readonly ctx: ViewContext,
    private readonly followSelection: boolean,
  ) {
    for (const [order, label] of SORTS) this.sort.add(new Option(label, order));
    this.spacer.append(this.tiles);
    this.scroller.append(this.spacer);
    this.root.append(
      h(
        'div',
        { class: 'winnow-toolbar' },
        this.count,
        h('label', { class: 'winnow-control' }, 'Sort ', this.sort),
      ),
      this.scroller,
    );
  }

  start(): void {
    const { state } = this.ctx;
    this.stops.push(
      state.on('where', () => this.reset()),
      state.on('selection', () => this.selectionChanged()),
      state.on('focus', () => this.requestRender()),
    );
    this.listen(this.sort, 'change', () => this.reset());
    this.listen(this.scroller, 'scroll', () => this.requestRender());
    this.listen(this.scroller, 'click', (event) => this.click(event as MouseEvent));
    this.listen(this.scroller, 'dblclick', (event) => this.open(this.indexOf(event)));
    this.listen(this.scroller, 'keydown', (event) => this.key(event as KeyboardEvent));
    const observer = new ResizeObserver(() => this.requestRender());
    observer.observe(this.scroller);
    this.stops.push(() => observer.disconnect());
    this.selected = sortedCopy(state.selection);
    this.reset();
  }

  dispose(): void {
    this.generation++;
    cancelAnimationFrame(this.frame);
    for (const stop of this.stops.splice(0)) stop();
    this.root.remove();
  }

  private listen(target: EventTarget, type: string, listener: (event: Event) => void): void {
    target.addEventListener(type, listener);
    this.stops.push(() => target.removeEventListener(type, listener));
  }

  private get showsSelection(): boolean {
    return this.source.kind === 'selection';
  }

  private selectionChanged(): void {
    this.selected = sortedCopy(this.ctx.state.selection);
    const wanted = this.followSelection && this.selected.length > 0 ? 'selection' : 'query';
    if (wanted === 'selection' || this.source.kind !== wanted) this.reset();
    else this.requestRender();
  }

  /** A new source: earlier pages are dropped and answers still on their way will be ignored. */
  private reset(): void {
    const followed = this.followSelection && this.ctx.state.selection.length > 0;
    this.source = followed ? selectionSource(this.ctx) : querySource(this.ctx, this.sort.value);
    this.sort.disabled = followed;
    this.root.dataset.source = this.source.kind;
    this.generation++;
    this.pages.clear();
    this.loading.clear();
    this.rendered.clear();
    this.total = null;
    this.failed = false;
    this.cursor = -1;
    this.anchor = -1;
    this.scroller.scrollTop = 0;
    this.count.textContent = 'Loading…';
    this.requestRender();
  }

  private requestRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const width = this.scroller.clientWidth;
    const columns = Math.max(1, Math.floor(width / MIN_TILE_WIDTH));
    this.layout = { columns, rowHeight: Math.floor(width / columns) + CAPTION_HEIGHT };
    const visible = virtualWindow(this.windowInput());
    this.spacer.style.height = `${visible.spacerHeight}px`;
    this.tiles.style.transform = `translateY(${visible.top}px)`;
    this.tiles.style.gridTemplateColumns = `repeat(${columns}, 1fr)`;
    this.tiles.style.gridAutoRows = `${this.layout.rowHeight}px`;
    this.renderTiles(visible.firstIndex, this.total === null ? 0 : visible.endIndex);
    this.fetchPages(visible.firstIndex, Math.max(visible.endIndex, 1));
    this.showCount();
  }

  private windowInput(scrollTop = this.scroller.scrollTop): WindowInput {
    return {
      total: this.total ?? 0,
      ...this.layout,
      scrollTop,
      viewportHeight: this.scroller.clientHeight,
    };
  }

  /** Keeps the tiles still in the window, makes the new ones; the DOM holds only these. */
  private renderTiles(first: number, end: number): void {
    for (const index of this.rendered.keys()) {
      if (index < first || index >= end) this.rendered.delete(index);
    }
    const tiles: HTMLElement[] = [];
    for (let index = first; index < end; index++) {
      let tile = this.rendered.get(index);
      if (!tile) {
        tile = h('div', { class: 'winnow-tile', 'data-index': index });
        this.rendered.set(index, tile);
      }
      this.fillTile(tile, this.sampleAt(index));
      tiles.push(tile);
    }
    // Only when the window moved: a tile taken out and put back loses the click the browser was
    // counting, so a double-click whose first click re-rendered the grid would never arrive.
    const shown = this.tiles.children;
    if (shown.length !== tiles.length || tiles.some((tile, i) => shown[i] !== tile))
      this.tiles.replaceChildren(...tiles);
  }

  private fillTile(tile: HTMLElement, sample: Sample | undefined): void {
    const index = Number(tile.dataset.index);
    tile.classList.toggle('winnow-tile-cursor', index === this.cursor);
    if (!sample) {
      delete tile.dataset.sampleId;
      tile.replaceChildren();
      tile.classList.add('winnow-tile-loading');
      return;
    }
    const id = sample.sample_id;
    tile.classList.remove('winnow-tile-loading');
    tile.classList.toggle('winnow-tile-selected', !this.showsSelection && contains(this.selected, id));
    tile.classList.toggle('winnow-tile-focused', this.ctx.state.focus === id);
    if (tile.dataset.sampleId === String(id)) return;
    tile.dataset.sampleId = String(id);
    tile.title = sample.filename;
    const image = h('img', { alt: '', draggable: 'false' });
    tile.replaceChildren(
      h('div', { class: 'winnow-tile-thumb' }, image),
      h('div', { class: 'winnow-tile-caption' }, basename(sample.filename)),
    );
    void this.ctx.api.thumbnail(this.ctx.dataset, id).then((url) => {
      if (url && tile.dataset.sampleId === String(id)) image.src = url;
    });
  }

  private sampleAt(index: number): Sample | undefined {
    const page = this.pages.get(Math.floor(index / PAGE_SIZE));
    return page?.[index % PAGE_SIZE];
  }

  /** Asks for the window's missing pages, a few at a time; pages that scrolled away are not asked. */
  private fetchPages(first: number, end: number): void {
    if (this.failed) return;
    for (let page = Math.floor(first / PAGE_SIZE); page * PAGE_SIZE < end; page++) {
      if (this.loading.size >= PAGES_IN_FLIGHT) return;
      if (this.pages.has(page)) this.touch(page);
      else if (!this.loading.has(page)) void this.fetchPage(page);
    }
  }

  private async fetchPage(page: number): Promise<Sample[] | undefined> {
    const generation = this.generation;
    this.loading.add(page);
    try {
      const answer = await this.source.load(page);
      if (generation !== this.generation) return undefined;
      this.total = answer.total;
      this.keep(page, answer.samples);
      return answer.samples;
    } catch (error) {
      if (generation === this.generation) {
        this.failed = true;
        this.count.textContent = messageOf(error);
        this.count.classList.add('winnow-error');
      }
      return undefined;
    } finally {
      if (generation === this.generation) {
        this.loading.delete(page);
        this.requestRender();
      }
    }
  }

  /** Caches a page, forgetting the least recently shown one past PAGES_KEPT. */
  private keep(page: number, samples: Sample[]): void {
    this.pages.set(page, samples);
    if (this.pages.size > PAGES_KEPT) this.pages.delete(this.pages.keys().next().value!);
  }

  private touch(page: number): void {
    const samples = this.pages.get(page)!;
    this.pages.delete(page);
    this.pages.set(page, samples);
  }

  private showCount(): void {
    if (this.total === null || this.failed) return;
    this.count.classList.remove('winnow-error');
    const selected = this.ctx.state.selection.length;
    this.count.textContent = this.showsSelection
      ? `${format(this.total)} selected`
      : `${format(this.total)} ${this.total === 1 ? 'sample' : 'samples'}${selected > 0 ? ` · ${format(selected)} selected` : ''}`;
  }

  private indexOf(event: Event): number {
    const tile = (event.target as Element).closest<HTMLElement>('.winnow-tile');
    return tile ? Number(tile.dataset.index) : -1;
  }

  private click(event: MouseEvent): void {
    const index = this.indexOf(event);
    const id = this.sampleAt(index)?.sample_id;
    if (id === undefined) return;
    this.cursor = index;
    if (this.followSelection) {
      this.ctx.state.set('focus', id);
      return;
    }
    const adding = event.ctrlKey || event.metaKey;
    if (event.shiftKey && this.anchor >= 0) {
      void this.selectRange(this.anchor, index, adding);
      return;
    }
    this.anchor = index;
    const { state } = this.ctx;
    if (!adding) state.set('selection', Int32Array.of(id));
    else if (contains(this.selected, id))
      state.set(
        'selection',
        state.selection.filter((s) => s !== id),
      );
    else state.set('selection', Int32Array.from([...state.selection, id]));
  }

  /** Selects the samples from `from` to `to` in grid order, loading the pages between. */
  private async selectRange(from: number, to: number, adding: boolean): Promise<void> {
    const generation = this.generation;
    const [lo, hi] = from < to ? [from, to] : [to, from];
    const ids: number[] = [];
    for (let page = Math.floor(lo / PAGE_SIZE); page <= Math.floor(hi / PAGE_SIZE); page++) {
      const samples = this.pages.get(page) ?? (await this.fetchPage(page));
      if (!samples || generation !== this.generation) return;
      samples.forEach((sample, i) => {
        const index = page * PAGE_SIZE + i;
        if (index >= lo && index <= hi) ids.push(sample.sample_id);
      });
    }
    const { state } = this.ctx;
    state.set('selection', Int32Array.from(adding ? new Set([...state.selection, ...ids]) : ids));
  }

  private open(index: number): void {
    const id = this.sampleAt(index)?.sample_id;
    if (id === undefined) return;
    this.cursor = index;
    this.ctx.state.set('focus', id);
  }

  private key(event: KeyboardEvent): void {
    const { columns } = this.layout;
    const moves: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -columns,
      ArrowDown: columns,
    };
    if (event.key === 'Enter') this.open(this.cursor);
    else if (event.key === 'Escape') this.ctx.state.set('focus', null);
    else if (event.key in moves) this.moveCursor(moves[event.key]!);
    else return;
    event.preventDefault();
  }

  /** Moves the cursor, scrolls it into view, and moves the open sample with it. */
  private moveCursor(step: number): void {
    if (!this.total) return;
    this.cursor = clamp(this.cursor < 0 ? 0 : this.cursor + step, 0, this.total - 1);
    this.scrollToRow(Math.floor(this.cursor / this.layout.columns));
    const id = this.sampleAt(this.cursor)?.sample_id;
    if (id !== undefined && this.ctx.state.focus !== null) this.ctx.state.set('focus', id);
    this.requestRender();
  }

  private scrollToRow(row: number): void {
    const input = this.windowInput();
    const offset = contentOffset(input, this.scroller.scrollTop);
    const top = row * input.rowHeight;
    const bottom = top + input.rowHeight;
    if (top < offset) this.scroller.scrollTop = scrollTopFor(input, top);
    else if (bottom > offset + input.viewportHeight) {
      this.scroller.scrollTop = scrollTopFor(input, bottom - input.viewportHeight);
    }
  }
}

function sortedCopy(ids: Int32Array): Int32Array {
  return Int32Array.from(ids).sort();
}

/** Binary search in a sorted array. */
function contains(sorted: Int32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = sorted[mid]!;
    if (value === id) return true;
    if (value < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function format(count: number): string {
  return count.toLocaleString('en-US');
}
