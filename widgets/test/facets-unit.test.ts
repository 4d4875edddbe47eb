import { describe, expect, it } from 'vitest';
import type { Facet } from '../src/api.js';
import { barsOf, chipOfBar, TOP_VALUES } from '../src/facet-bars.js';

const histogram: Facet = { kind: 'histogram', field: 'width', lo: 100, hi: 500, counts: [3, 0, 5, 2] };

describe('facets as bars, and a click on a bar as a filter', () => {
  it('draws a histogram as bars one bin wide at the bin centres', () => {
    expect(barsOf(histogram)).toEqual({
      x: [150, 250, 350, 450],
      y: [3, 0, 5, 2],
      width: [100, 100, 100, 100],
    });
  });

  it('filters a bin by its range, and the last bin open above so the maximum stays in', () => {
    expect(chipOfBar(histogram, 1)).toEqual({ field: 'width', op: 'range', value: [200, 300] });
    expect(chipOfBar(histogram, 3)).toEqual({ field: 'width', op: '>=', value: 400 });
    expect(chipOfBar(histogram, 4)).toBeUndefined();
  });

  it('draws one bar when every value is equal, and none when there are none', () => {
    const equal: Facet = { kind: 'histogram', field: 'height', lo: 480, hi: 480, counts: [7, 0] };
    expect(barsOf(equal)).toMatchObject({ x: [480], y: [7] });
    expect(chipOfBar(equal, 0)).toEqual({ field: 'height', op: '=', value: 480 });
    const empty = {
      kind: 'histogram',
      field: 'size',
      lo: null,
      hi: null,
      counts: [0, 0],
    } as unknown as Facet;
    expect(barsOf(empty)).toEqual({ x: [], y: [] });
    expect(chipOfBar(empty, 0)).toBeUndefined();
  });

  it('shows the most frequent values, a missing one named, and filters by the value itself', () => {
    const values = Array.from({ length: 20 }, (_, i) => ({ value: i ? `class${i}` : null, count: 20 - i }));
    const counts: Facet = { kind: 'counts', field: 'format', values };
    const bars = barsOf(counts);
    expect(bars.x).toHaveLength(TOP_VALUES);
    expect(bars.x[0]).toBe('(none)');
    expect(chipOfBar(counts, 0)).toEqual({ field: 'format', op: '=', value: null });
    expect(chipOfBar(counts, 2)).toEqual({ field: 'format', op: '=', value: 'class2' });
  });
});
