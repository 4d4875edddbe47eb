import type { Legend, Rgb } from './colors.js';

/** How many categories the legend lists (the palette colours more; the rest are in "other"). */
const LISTED = 12;

/** Shows the colour legend (a min–max ramp, or the top categories), or hides it for `null`. */
export function renderLegend(element: HTMLElement, legend: Legend | null): void {
  element.replaceChildren();
  element.hidden = legend === null;
  if (!legend) return;
  element.dataset.kind = legend.kind;
  const title = document.createElement('div');
  title.className = 'winnow-legend-title';
  title.textContent = legend.field;
  element.append(title);
  if (legend.kind === 'numeric') element.append(...numericLegend(legend.min, legend.max, legend.stops));
  else element.append(...legend.entries.slice(0, LISTED).map(categoryRow));
}

/** A legend that says why there are no colours. */
export function renderLegendError(element: HTMLElement, field: string, message: string): void {
  element.replaceChildren();
  element.hidden = false;
  element.dataset.kind = 'error';
  const title = document.createElement('div');
  title.className = 'winnow-legend-title';
  title.textContent = field;
  const reason = document.createElement('div');
  reason.className = 'winnow-error';
  reason.textContent = message;
  element.append(title, reason);
}

function numericLegend(min: number, max: number, stops: readonly Rgb[]): HTMLElement[] {
  const bar = document.createElement('div');
  bar.className = 'winnow-legend-ramp';
  bar.style.background = `linear-gradient(to right, ${stops.map(css).join(', ')})`;
  const labels = document.createElement('div');
  labels.className = 'winnow-legend-range';
  labels.append(span(formatNumber(min), 'winnow-legend-min'), span(formatNumber(max), 'winnow-legend-max'));
  return [bar, labels];
}

function categoryRow(entry: { label: string; color: Rgb; count: number }): HTMLElement {
  const row = document.createElement('div');
  row.className = 'winnow-legend-entry';
  const swatch = span('', 'winnow-swatch');
  swatch.style.background = css(entry.color);
  row.append(
    swatch,
    span(entry.label, 'winnow-legend-label'),
    span(entry.count.toLocaleString('en-US'), 'winnow-legend-count'),
  );
  return row;
}

function span(text: string, className: string): HTMLSpanElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}

function css([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** Three significant digits, without exponent noise for ordinary magnitudes. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Number(value.toPrecision(3)).toLocaleString('en-US', { maximumSignificantDigits: 3 });
}
