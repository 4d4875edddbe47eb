import Plotly, { type PlotlyElement } from 'plotly.js-basic-dist-min';
import type { Facet } from './api.js';
import { barsOf, chipOfBar, FACET_FIELDS, type FacetField } from './facet-bars.js';
import { h, messageOf } from './panel-dom.js';
import { ensurePanelStyles } from './panel-style.js';
import { requestFilter } from './query-conditions.js';
import type { Mounted, ViewContext } from './state.js';

export const facetStyles = `
.winnow-facets { display: flex; flex-wrap: wrap; gap: 8px; padding: 6px; }
.winnow-facet { flex: 1 1 260px; min-width: 200px; max-width: 420px; }
.winnow-facet-title { color: var(--winnow-fg-muted); display: flex; justify-content: space-between; gap: 6px; }
.winnow-facet-plot { height: 160px; width: 100%; }
.winnow-facet-note { color: var(--winnow-fg-muted); font-style: italic; }
.winnow-facet-note[data-error] { color: var(--winnow-error); font-style: normal; }
`;

/** Typing a query fires many changes; the charts ask once it settles. */
const DEBOUNCE_MS = 250;

/**
 * Small charts of a few fields over the samples meeting the query: histograms of sizes, bars of
 * the most frequent values. A click on a bar adds that value (or bin) as a filter chip through
 * the `winnow-filter` event, and the charts follow the narrowed query.
 */
export function mountFacets(element: HTMLElement, context: ViewContext): Mounted {
  ensurePanelStyles('winnow-facet-styles', facetStyles);
  const root = h('div', { class: 'winnow-panel winnow-facets' });
  const charts = FACET_FIELDS.map((field) => new FacetChart(field, context));
  root.append(...charts.map((chart) => chart.element));
  element.append(root);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  const refresh = () => {
    const current = ++generation;
    for (const chart of charts) chart.load(() => current === generation);
  };
  const stop = context.state.on('where', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });
  refresh();
  return {
    dispose() {
      generation++;
      clearTimeout(timer);
      stop();
      for (const chart of charts) chart.dispose();
      root.remove();
    },
  };
}

class FacetChart {
  readonly element: HTMLElement;
  private readonly plot = h('div', { class: 'winnow-facet-plot' });
  private readonly note = h('div', { class: 'winnow-facet-note', 'data-role': 'note' });
  private readonly total = h('span');
  private facet: Facet | null = null;
  private clickable = false;

  constructor(
    private readonly field: FacetField,
    private readonly context: ViewContext,
  ) {
    this.element = h(
      'div',
      { class: 'winnow-facet', 'data-field': field.field },
      h('div', { class: 'winnow-facet-title' }, h('span', {}, field.title), this.total),
      this.plot,
      this.note,
    );
  }

  /** Asks for the field's distribution; `isCurrent` drops an answer a newer query has overtaken. */
  async load(isCurrent: () => boolean): Promise<void> {
    const { api, dataset, state } = this.context;
    try {
      const facet = await api.facet(dataset, this.field.field, state.where || undefined);
      if (isCurrent()) await this.draw(facet);
    } catch (error) {
      if (isCurrent()) this.showNote(messageOf(error), true);
    }
  }

  dispose(): void {
    Plotly.purge(this.plot);
  }

  private async draw(facet: Facet): Promise<void> {
    this.facet = facet;
    const bars = barsOf(facet);
    const count = bars.y.reduce((a, b) => a + b, 0);
    this.total.textContent = count.toLocaleString('en-US');
    this.showNote(count ? '' : 'no values', false);
    const element = await Plotly.react(this.plot, [this.trace(bars)], this.layout(facet), {
      displayModeBar: false,
      responsive: true,
    });
    this.listenForClicks(element);
  }

  private trace(bars: ReturnType<typeof barsOf>): object {
    const style = getComputedStyle(this.element);
    return {
      type: 'bar',
      ...bars,
      marker: { color: style.getPropertyValue('--winnow-accent').trim() || '#1976d2' },
      hovertemplate: '%{x}: %{y}<extra></extra>',
    };
  }

  private layout(facet: Facet): object {
    const style = getComputedStyle(this.element);
    return {
      height: 160,
      autosize: true,
      margin: { l: 40, r: 8, t: 4, b: 40 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { size: 10, color: style.color },
      bargap: facet.kind === 'histogram' ? 0.02 : 0.2,
      showlegend: false,
      xaxis: { fixedrange: true, automargin: true, type: facet.kind === 'counts' ? 'category' : 'linear' },
      yaxis: { fixedrange: true, automargin: true },
    };
  }

  private listenForClicks(element: PlotlyElement): void {
    if (this.clickable) return;
    this.clickable = true;
    element.on('plotly_click', (event) => {
      const point = event.points[0];
      const chip = this.facet && point && chipOfBar(this.facet, point.pointIndex ?? point.pointNumber);
      if (chip) requestFilter(this.context.state, chip);
    });
  }

  private showNote(text: string, isError: boolean): void {
    this.note.textContent = text;
    this.note.toggleAttribute('data-error', isError);
  }
}
