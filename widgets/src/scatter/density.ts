import { RAMP, rampColor } from './colors.js';
import { type ViewTransform, visibleBounds } from './transform.js';

/** How many points the view shows. */
export function countInView(xs: Float32Array, ys: Float32Array, view: ViewTransform): number {
  const { minX, minY, maxX, maxY } = visibleBounds(view);
  let count = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x >= minX && x <= maxX && y >= minY && y <= maxY) count++;
  }
  return count;
}

/** The indices of the points the view shows (an element buffer for drawing only those). */
export function indicesInView(xs: Float32Array, ys: Float32Array, view: ViewTransform): Uint32Array {
  const { minX, minY, maxX, maxY } = visibleBounds(view);
  const found = new Uint32Array(countInView(xs, ys, view));
  let count = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x >= minX && x <= maxX && y >= minY && y <= maxY) found[count++] = i;
  }
  return found;
}

export interface DensityGrid {
  columns: number;
  rows: number;
  /** Points per cell, row 0 at the top of the view. */
  counts: Uint32Array;
}

/** Bins the points in view into cells of `cellPixels` CSS pixels. */
export function binPoints(
  xs: Float32Array,
  ys: Float32Array,
  view: ViewTransform,
  cellPixels: number,
): DensityGrid {
  const columns = Math.max(1, Math.ceil(view.width / cellPixels));
  const rows = Math.max(1, Math.ceil(view.height / cellPixels));
  const counts = new Uint32Array(columns * rows);
  const scale = view.k / cellPixels;
  const left = view.cx - view.width / 2 / view.k;
  const top = view.cy + view.height / 2 / view.k;
  for (let i = 0; i < xs.length; i++) {
    const column = Math.floor((xs[i]! - left) * scale);
    const row = Math.floor((top - ys[i]!) * scale);
    if (column >= 0 && column < columns && row >= 0 && row < rows) counts[row * columns + column]!++;
  }
  return { columns, rows, counts };
}

/**
 * The grid as an RGBA image: empty cells transparent, the others along the ramp by the log of
 * their count, so a few dense clusters do not wash out the sparse regions.
 */
export function heatImage(grid: DensityGrid): Uint8Array {
  let max = 0;
  for (const count of grid.counts) if (count > max) max = count;
  const logMax = Math.log1p(max) || 1;
  const rgba = new Uint8Array(grid.counts.length * 4);
  grid.counts.forEach((count, cell) => {
    if (count === 0) return;
    const [r, g, b] = rampColor(Math.log1p(count) / logMax, RAMP);
    rgba[cell * 4] = r;
    rgba[cell * 4 + 1] = g;
    rgba[cell * 4 + 2] = b;
    rgba[cell * 4 + 3] = 255;
  });
  return rgba;
}
