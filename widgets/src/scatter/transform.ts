/**
 * The scatter's view: which data point sits at the centre of the plot and how many CSS pixels one
 * data unit spans. Screen y grows downwards, data y upwards.
 */
export interface ViewTransform {
  cx: number;
  cy: number;
  /** CSS pixels per data unit. */
  k: number;
  /** The plot's size in CSS pixels. */
  width: number;
  height: number;
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function toScreen(view: ViewTransform, x: number, y: number): [number, number] {
  return [(x - view.cx) * view.k + view.width / 2, (view.cy - y) * view.k + view.height / 2];
}

export function toData(view: ViewTransform, sx: number, sy: number): [number, number] {
  return [(sx - view.width / 2) / view.k + view.cx, view.cy - (sy - view.height / 2) / view.k];
}

/** The bounds of the finite points (a unit box around the origin when there are none). */
export function boundsOf(xs: Float32Array, ys: Float32Array): Bounds {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (!(minX <= maxX && minY <= maxY)) return { minX: -0.5, minY: -0.5, maxX: 0.5, maxY: 0.5 };
  return { minX, minY, maxX, maxY };
}

/** The view that shows all of `bounds` inside the plot, with a margin on each side. */
export function fitBounds(bounds: Bounds, width: number, height: number, margin = 0.06): ViewTransform {
  // A single point, or points on a line, still get a finite zoom.
  const spanX = Math.max(bounds.maxX - bounds.minX, 1e-6);
  const spanY = Math.max(bounds.maxY - bounds.minY, 1e-6);
  const usable = 1 - 2 * margin;
  const k = Math.min((width * usable) / spanX, (height * usable) / spanY);
  return {
    cx: (bounds.minX + bounds.maxX) / 2,
    cy: (bounds.minY + bounds.maxY) / 2,
    k,
    width,
    height,
  };
}

/** Zooms by `factor` keeping the data point under the screen point (sx, sy) in place. */
export function zoomAround(view: ViewTransform, sx: number, sy: number, factor: number): ViewTransform {
  const [x, y] = toData(view, sx, sy);
  const k = view.k * factor;
  return {
    ...view,
    k,
    cx: x - (sx - view.width / 2) / k,
    cy: y + (sy - view.height / 2) / k,
  };
}

/** Moves the view so that the content follows a drag of (dx, dy) screen pixels. */
export function panBy(view: ViewTransform, dx: number, dy: number): ViewTransform {
  return { ...view, cx: view.cx - dx / view.k, cy: view.cy + dy / view.k };
}

/** The data-space rectangle the view shows. */
export function visibleBounds(view: ViewTransform): Bounds {
  const [minX, maxY] = toData(view, 0, 0);
  const [maxX, minY] = toData(view, view.width, view.height);
  return { minX, minY, maxX, maxY };
}
