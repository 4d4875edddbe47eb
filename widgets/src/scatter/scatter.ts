import type { Mounted, ViewContext } from '../state.js';
import { colorsFromColumn, type Legend, uniformColors } from './colors.js';
import { binPoints, countInView, heatImage, indicesInView } from './density.js';
import { attachGestures, type Tool } from './gestures.js';
import { renderLegend, renderLegendError } from './legend.js';
import { motionSample, SETTLE_MS } from './motion.js';
import { type PointSet, pointIndicesOf, pointSetOf, sampleIdsOf } from './points.js';
import { indicesInPolygon } from './polygon.js';
import { type PointStyle, ScatterRenderer } from './renderer.js';
import { Tooltip } from './tooltip.js';
import { fitBounds, panBy, toData, type ViewTransform, zoomAround } from './transform.js';

export interface ScatterOptions {
  /** Beyond this many points in view the scatter draws their density instead (default 10M). */
  pointBudget?: number;
}

export const DEFAULT_POINT_BUDGET = 10_000_000;

/** The fields the scatter can colour by: [server field, label]. */
export const COLOR_FIELDS: readonly [string, string][] = [
  ['', 'none'],
  ['typicality', 'typicality'],
  ['prediction.category', 'predicted class'],
  ['annotation.category', 'annotated class'],
  ['tag', 'tag'],
  ['kind', 'kind'],
  ['format', 'format'],
  ['width', 'width'],
  ['height', 'height'],
  ['size', 'file size'],
];

/** Hover picks the nearest point within this many CSS pixels. */
const HOVER_RADIUS = 6;
/** Density cells, in CSS pixels. */
const DENSITY_CELL = 3;
const TOOLS: readonly [Tool, string, string][] = [
  ['pan', 'Pan', 'drag to pan, wheel to zoom'],
  ['lasso', 'Lasso', 'draw around points to select them (or shift-drag)'],
  ['box', 'Box', 'drag a rectangle to select points'],
];

/**
 * The embedding scatter: every point of the dataset's 2-D projection, WebGL2, pan and zoom,
 * hover thumbnails, lasso and box selection (into `state.selection`), colour by a field. Past the
 * point budget it draws a density image until the view holds few enough points.
 */
export function mountScatter(element: HTMLElement, ctx: ViewContext, options: ScatterOptions = {}): Mounted {
  return new Scatter(element, ctx, options.pointBudget ?? DEFAULT_POINT_BUDGET);
}

class Scatter implements Mounted {
  private readonly root = document.createElement('div');
  private readonly plot = document.createElement('div');
  private readonly canvas = document.createElement('canvas');
  private readonly legend = document.createElement('div');
  private readonly message = document.createElement('div');
  private readonly colorSelect = document.createElement('select');
  private readonly renderer: ScatterRenderer;
  private readonly tooltip: Tooltip;
  private readonly cleanups: (() => void)[] = [];
  private points: PointSet | null = null;
  private view: ViewTransform | null = null;
  /** Whether the view is the fit of all points (no pan or zoom since): a resize fits it again. */
  private fitted = false;
  private size = { width: 0, height: 0 };
  private selected: Uint32Array = new Uint32Array(0);
  /** The open sample's point (none, or one), drawn large on top. */
  private focused: Uint32Array = new Uint32Array(0);
  private tool: Tool = 'pan';
  private frame = 0;
  private colorRequest = 0;
  private drawnOnce = false;
  private disposed = false;
  /** The points meeting the query (null: no query); the others are drawn faint and not selectable. */
  private inQuery: { indices: Uint32Array; mask: Uint8Array } | null = null;
  private queryRequest = 0;
  /** The points drawn while the view moves, when a frame of all of them is too slow (motion.ts). */
  private motionPoints: Uint32Array | null = null;
  private movingUntil = 0;
  private settleTimer = 0;

  constructor(
    element: HTMLElement,
    private readonly ctx: ViewContext,
    private readonly budget: number,
  ) {
    this.root.className = 'winnow-scatter';
    this.root.tabIndex = -1;
    this.plot.className = 'winnow-plot';
    this.plot.tabIndex = 0;
    this.legend.className = 'winnow-legend';
    this.legend.hidden = true;
    this.message.className = 'winnow-message';
    this.message.textContent = 'Loading points…';
    this.plot.append(this.canvas, this.message);
    // The legend sits beside the plot, not over it: it can never hide a point, however the view
    // is fitted, panned or zoomed. Shown or hidden, it resizes the plot, which fits again.
    const area = document.createElement('div');
    area.className = 'winnow-plot-area';
    area.append(this.plot, this.legend);
    this.root.append(this.toolbar(), area);
    element.append(this.root);
    this.renderer = new ScatterRenderer(this.canvas);
    this.tooltip = new Tooltip(this.plot, ctx);
    this.listen();
    void this.load();
  }

  dispose(): void {
    this.disposed = true;
    cancelAnimationFrame(this.frame);
    clearTimeout(this.settleTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.tooltip.dispose();
    this.renderer.dispose();
    this.root.remove();
  }

  private toolbar(): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'winnow-toolbar';
    for (const [tool, label, title] of TOOLS) {
      bar.append(button(label, title, { action: tool }, () => this.setTool(tool)));
    }
    bar.append(
      button('Clear', 'clear the selection (Escape)', { action: 'clear' }, () => this.clearSelection()),
      button('Fit', 'show all points', { action: 'fit' }, () => this.fit()),
    );
    const colorLabel = document.createElement('label');
    colorLabel.className = 'winnow-control';
    colorLabel.textContent = 'Colour ';
    this.colorSelect.dataset.control = 'color-by';
    this.colorSelect.className = 'winnow-select';
    for (const [field, label] of COLOR_FIELDS) this.colorSelect.add(new Option(label, field));
    this.colorSelect.value = this.ctx.state.colorBy ?? '';
    this.colorSelect.addEventListener('change', () =>
      this.ctx.state.set('colorBy', this.colorSelect.value || null),
    );
    colorLabel.append(this.colorSelect);
    bar.append(colorLabel);
    this.setTool('pan', bar);
    return bar;
  }

  private setTool(tool: Tool, bar = this.root.querySelector('.winnow-toolbar')!): void {
    this.tool = tool;
    this.root.dataset.tool = tool;
    for (const [name] of TOOLS) {
      bar.querySelector(`[data-action="${name}"]`)!.setAttribute('aria-pressed', String(name === tool));
    }
  }

  private listen(): void {
    const { state } = this.ctx;
    this.cleanups.push(
      state.on('selection', () => this.showSelection()),
      state.on('focus', () => this.showFocus()),
      watchPixelRatio(() => this.requestDraw()),
      state.on('colorBy', () => void this.loadColors()),
      state.on('where', () => void this.loadQuery()),
      attachGestures(this.plot, {
        tool: () => this.tool,
        pan: (dx, dy) => this.move(this.view && panBy(this.view, dx, dy)),
        zoom: (sx, sy, factor) => this.move(this.view && zoomAround(this.view, sx, sy, factor)),
        select: (polygon) => this.selectInside(polygon),
        hover: (sx, sy) => this.hover(sx, sy),
        leave: () => this.tooltip.hide(),
      }),
    );
    const keydown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') this.clearSelection();
    };
    this.root.addEventListener('keydown', keydown);
    this.cleanups.push(() => this.root.removeEventListener('keydown', keydown));
    const observer = new ResizeObserver(() => this.resize());
    observer.observe(this.plot);
    this.cleanups.push(() => observer.disconnect());
  }

  private async load(): Promise<void> {
    const { api, dataset } = this.ctx;
    try {
      const points = pointSetOf(await api.points(dataset));
      if (this.disposed) return;
      this.points = points;
      this.renderer.setPoints(points.xs, points.ys);
      this.renderer.setColors(uniformColors(points.ids.length));
      this.root.dataset.pointCount = String(points.ids.length);
      this.message.hidden = true;
      this.fit();
      this.showSelection();
      this.showFocus();
      void this.addMetadataFields();
      if (this.ctx.state.where) void this.loadQuery();
      if (this.ctx.state.colorBy) await this.loadColors();
    } catch (error) {
      this.showMessage(`No points to show: ${(error as Error).message}`);
    }
  }

  /** The points meeting the query: drawn as usual, the others faint. A stale answer is dropped. */
  private async loadQuery(): Promise<void> {
    const { points } = this;
    const { api, dataset, state } = this.ctx;
    if (!points) return;
    const request = ++this.queryRequest;
    const where = state.where.trim();
    let inQuery: { indices: Uint32Array; mask: Uint8Array } | null = null;
    if (where) {
      try {
        const indices = pointIndicesOf(points, await api.matchingIds(dataset, where));
        const mask = new Uint8Array(points.ids.length);
        for (const index of indices) mask[index] = 1;
        inQuery = { indices, mask };
      } catch {
        return; // the query bar shows why the server refused it; the plot keeps what it shows
      }
    }
    if (request !== this.queryRequest || this.disposed) return;
    this.inQuery = inQuery;
    if (inQuery) this.root.dataset.inQuery = String(inQuery.indices.length);
    else delete this.root.dataset.inQuery;
    this.requestDraw();
  }

  /** The dataset's own metadata keys join the colour choices (typicality is one already). */
  private async addMetadataFields(): Promise<void> {
    const { api, dataset } = this.ctx;
    try {
      const { metadataFields } = await api.vocabulary(dataset);
      const listed = new Set(COLOR_FIELDS.map(([field]) => field));
      for (const { key } of metadataFields) {
        if (listed.has(key)) continue;
        listed.add(key); // a key stored with two types is listed once
        this.colorSelect.add(new Option(key, `metadata.${key}`));
      }
    } catch {
      // The fixed fields stay: metadata keys are a convenience, not worth an error in the plot.
    }
  }

  private showMessage(text: string): void {
    this.message.hidden = false;
    this.message.textContent = text;
    this.message.classList.add('winnow-error');
  }

  private async loadColors(): Promise<void> {
    const points = this.points;
    if (!points) return;
    const field = this.ctx.state.colorBy;
    this.colorSelect.value = field ?? '';
    const request = ++this.colorRequest;
    if (!field) {
      this.renderer.setColors(uniformColors(points.ids.length));
      this.showLegend(null);
      return;
    }
    try {
      const table = await this.ctx.api.colors(this.ctx.dataset, field);
      if (request !== this.colorRequest || this.disposed) return;
      const { rgba, legend } = colorsFromColumn(table, field, points.lookup, points.ids.length);
      this.renderer.setColors(rgba);
      this.showLegend(legend);
    } catch (error) {
      if (request !== this.colorRequest || this.disposed) return;
      this.renderer.setColors(uniformColors(points.ids.length));
      renderLegendError(this.legend, field, (error as Error).message);
      this.requestDraw();
    }
  }

  private showLegend(legend: Legend | null): void {
    renderLegend(this.legend, legend);
    this.requestDraw();
  }

  private resize(): void {
    const width = this.plot.clientWidth;
    const height = this.plot.clientHeight;
    if (width === 0 || height === 0) return;
    this.size = { width, height };
    if (this.view && !this.fitted) this.setView({ ...this.view, width, height });
    else this.fit();
  }

  /** Fits the data's bounds once both the points and the plot's size are known. */
  private fit(): void {
    if (!this.points || this.size.width === 0) return;
    this.setView(fitBounds(this.points.bounds, this.size.width, this.size.height));
    this.fitted = true;
  }

  private setView(view: ViewTransform | null): void {
    if (!view) return;
    this.view = view;
    this.root.dataset.view = JSON.stringify(view);
    this.requestDraw();
  }

  /** A pan or zoom step: drawn at once (a sample while moving, see motion.ts), all once it settles. */
  private move(view: ViewTransform | null): void {
    this.fitted = false;
    this.movingUntil = performance.now() + SETTLE_MS;
    clearTimeout(this.settleTimer);
    this.settleTimer = window.setTimeout(() => this.requestDraw(), SETTLE_MS);
    this.setView(view);
  }

  private requestDraw(): void {
    if (this.frame || this.disposed) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const { points, view } = this;
    if (!points || !view) return;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(view.width * dpr);
    const height = Math.round(view.height * dpr);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.renderer.clear(width, height);
    const moving = this.motionPoints !== null && performance.now() < this.movingUntil;
    if (points.ids.length <= this.budget)
      this.drawPoints(points, view, dpr, moving ? this.motionPoints! : undefined);
    // Past the budget only the points in view go to the GPU, or their density while too many.
    else if (countInView(points.xs, points.ys, view) > this.budget) this.drawDensity(points, view, dpr);
    else this.drawPoints(points, view, dpr, indicesInView(points.xs, points.ys, view));
  }

  private drawPoints(points: PointSet, view: ViewTransform, dpr: number, subset?: Uint32Array): void {
    const style = pointStyle(points.ids.length, dpr);
    const hasSelection = this.selected.length > 0;
    const started = performance.now();
    const shown = hasSelection ? { size: style.size, alpha: 0.35, fade: 0.7 } : style;
    const query = this.inQuery;
    if (query && (!subset || query.indices.length <= subset.length)) {
      // Outside the query: faint, under the points that meet it.
      this.renderer.drawPoints(view, { size: style.size, alpha: 0.12, fade: 0.9 }, subset);
      this.renderer.drawPoints(view, shown, query.indices);
    } else {
      this.renderer.drawPoints(view, shown, subset);
    }
    this.drawHighlights(view, style, dpr);
    this.root.dataset.mode = 'points';
    this.root.dataset.pointsDrawn = String(subset ? subset.length : points.ids.length);
    if (!this.drawnOnce) {
      this.drawnOnce = true;
      // Once, on the first full frame: wait for the GPU to finish it, to know what a frame costs.
      this.renderer.finish();
      const frameMs = performance.now() - started;
      // Unrounded: the motion sample's stride is computed from this very value.
      this.root.dataset.frameMs = String(frameMs);
      if (!subset) this.motionPoints = motionSample(points.ids.length, frameMs);
      performance.mark('winnow:points-drawn');
    }
  }

  private drawDensity(points: PointSet, view: ViewTransform, dpr: number): void {
    const grid = binPoints(points.xs, points.ys, view, DENSITY_CELL);
    this.renderer.drawImage(heatImage(grid), grid.columns, grid.rows);
    this.drawHighlights(view, pointStyle(points.ids.length, dpr), dpr);
    this.root.dataset.mode = 'density';
    delete this.root.dataset.pointsDrawn;
  }

  /** The selection over the rest (while within the budget), and the open sample over all. */
  private drawHighlights(view: ViewTransform, style: PointStyle, dpr: number): void {
    if (this.selected.length > 0 && this.selected.length <= this.budget) {
      this.renderer.drawPoints(view, { ...style, size: style.size + dpr, alpha: 1 }, this.selected);
    }
    if (this.focused.length > 0) {
      this.renderer.drawPoints(
        view,
        { ...style, size: Math.max(2 * style.size, 10 * dpr), alpha: 1 },
        this.focused,
      );
    }
  }

  private hover(sx: number, sy: number): void {
    const { points, view } = this;
    if (!points || !view) return;
    const [x, y] = toData(view, sx, sy);
    const index = points.index.nearest(x, y, HOVER_RADIUS / view.k);
    if (index < 0) this.tooltip.hide();
    else this.tooltip.show(points.ids[index]!, sx, sy);
  }

  /** Selects the points inside a screen polygon: mapped to data space once, then one tight loop. */
  private selectInside(screenPolygon: number[]): void {
    const { points, view } = this;
    if (!points || !view) return;
    const polygon: number[] = [];
    for (let i = 0; i < screenPolygon.length; i += 2) {
      polygon.push(...toData(view, screenPolygon[i]!, screenPolygon[i + 1]!));
    }
    let inside = indicesInPolygon(points.xs, points.ys, polygon);
    const query = this.inQuery;
    if (query) inside = inside.filter((index) => query.mask[index] === 1);
    this.ctx.state.set('selection', sampleIdsOf(points, inside));
  }

  private clearSelection(): void {
    if (this.ctx.state.selection.length > 0) this.ctx.state.set('selection', new Int32Array(0));
  }

  private showFocus(): void {
    if (!this.points) return;
    const { focus } = this.ctx.state;
    this.focused = focus === null ? new Uint32Array(0) : pointIndicesOf(this.points, Int32Array.of(focus));
    this.requestDraw();
  }

  private showSelection(): void {
    if (!this.points) return;
    this.selected = pointIndicesOf(this.points, this.ctx.state.selection);
    this.root.dataset.selected = String(this.selected.length);
    this.requestDraw();
  }
}

/**
 * Calls `onChange` when the device pixel ratio changes (browser zoom, a move to another screen):
 * a resolution query matches one ratio only, so it is renewed after each change.
 */
function watchPixelRatio(onChange: () => void): () => void {
  let query: MediaQueryList | null = null;
  const listen = () => {
    query = matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
    query.addEventListener('change', changed, { once: true });
  };
  const changed = () => {
    onChange();
    listen();
  };
  listen();
  return () => query?.removeEventListener('change', changed);
}

/** Smaller, fainter points as they get more numerous, so dense regions stay readable. */
function pointStyle(count: number, dpr: number): PointStyle {
  const [size, alpha] =
    count <= 10_000 ? [6, 0.9] : count <= 100_000 ? [4, 0.8] : count <= 1_000_000 ? [2.5, 0.6] : [2, 0.5];
  return { size: size * dpr, alpha, fade: 0 };
}

function button(
  label: string,
  title: string,
  data: Record<string, string>,
  onClick: () => void,
): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = 'winnow-button';
  element.textContent = label;
  element.title = title;
  Object.assign(element.dataset, data);
  element.addEventListener('click', onClick);
  return element;
}
