import type { Facet } from './api.js';
import type { FilterChip } from './query-conditions.js';

/**
 * The facets' charts as bars, and the filter a click on a bar means. plotly's basic bundle has no
 * histogram trace, and the server has counted the bins already, so a histogram is drawn as bars
 * one bin wide.
 */

export interface FacetField {
  field: string;
  title: string;
}

export const FACET_FIELDS: readonly FacetField[] = [
  { field: 'width', title: 'Width (px)' },
  { field: 'height', title: 'Height (px)' },
  { field: 'size', title: 'File size (bytes)' },
  { field: 'prediction.category', title: 'Predicted classes' },
  { field: 'kind', title: 'Kind' },
  { field: 'format', title: 'Format' },
];

/** Bar charts show the most frequent values only: a small chart cannot label more. */
export const TOP_VALUES = 12;

export interface Bars {
  x: (number | string)[];
  y: number[];
  /** Bar widths in x units, for a histogram. */
  width?: number[];
}

export function barsOf(facet: Facet): Bars {
  if (facet.kind === 'counts') {
    const top = facet.values.slice(0, TOP_VALUES);
    return { x: top.map((v) => valueLabel(v.value)), y: top.map((v) => v.count) };
  }
  const { lo, counts } = facet;
  if (isEmpty(facet)) return { x: [], y: [] };
  const step = binWidth(facet);
  // All values equal: one bar, wide enough to see.
  if (step === 0) return { x: [lo], y: [sum(counts)], width: [Math.max(1, Math.abs(lo) * 0.05)] };
  return {
    x: counts.map((_, i) => lo + (i + 0.5) * step),
    y: counts,
    width: counts.map(() => step),
  };
}

/**
 * The chip a click on bar `index` adds: the value itself for a category; for a bin, its range
 * (`lo <= field < hi`), open above for the last bin, which also holds the maximum.
 */
export function chipOfBar(facet: Facet, index: number): FilterChip | undefined {
  if (facet.kind === 'counts') {
    const entry = facet.values[index];
    return entry && { field: facet.field, op: '=', value: entry.value };
  }
  if (isEmpty(facet)) return undefined;
  const step = binWidth(facet);
  if (step === 0) return { field: facet.field, op: '=', value: facet.lo };
  if (index < 0 || index >= facet.counts.length) return undefined;
  const lo = facet.lo + index * step;
  if (index === facet.counts.length - 1) return { field: facet.field, op: '>=', value: lo };
  return { field: facet.field, op: 'range', value: [lo, lo + step] };
}

type Histogram = Extract<Facet, { kind: 'histogram' }>;

/** The server answers null bounds when no sample has the field. */
function isEmpty(facet: Histogram): boolean {
  return facet.lo == null || facet.hi == null || sum(facet.counts) === 0;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function binWidth(facet: Histogram): number {
  return facet.counts.length ? (facet.hi - facet.lo) / facet.counts.length : 0;
}

/** A missing value (a sample without a format, say) gets a visible name on the axis. */
function valueLabel(value: string | null): string {
  return value === null ? '(none)' : String(value);
}
