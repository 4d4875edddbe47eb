/** Polygons are flat arrays of vertices: [x0, y0, x1, y1, …], closed implicitly. */
export type Polygon = ArrayLike<number>;

/** Even-odd rule: a ray to the right crosses the boundary an odd number of times. */
export function pointInPolygon(x: number, y: number, polygon: Polygon): boolean {
  let inside = false;
  const n = polygon.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = polygon[i]!;
    const yi = polygon[i + 1]!;
    const xj = polygon[j]!;
    const yj = polygon[j + 1]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * The indices of the points inside the polygon, in increasing order. The polygon's bounding box
 * rejects most points before the edge test, so a lasso over a corner of a million points is cheap.
 */
export function indicesInPolygon(xs: Float32Array, ys: Float32Array, polygon: Polygon): Int32Array {
  if (polygon.length < 6) return new Int32Array(0);
  const box = polygonBounds(polygon);
  const found = new Int32Array(xs.length);
  let count = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x < box.minX || x > box.maxX || y < box.minY || y > box.maxY) continue;
    if (pointInPolygon(x, y, polygon)) found[count++] = i;
  }
  return found.slice(0, count);
}

export function polygonBounds(polygon: Polygon) {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < polygon.length; i += 2) {
    minX = Math.min(minX, polygon[i]!);
    maxX = Math.max(maxX, polygon[i]!);
    minY = Math.min(minY, polygon[i + 1]!);
    maxY = Math.max(maxY, polygon[i + 1]!);
  }
  return { minX, minY, maxX, maxY };
}

/** The rectangle spanned by two corners, as a polygon. */
export function rectangle(x0: number, y0: number, x1: number, y1: number): number[] {
  return [x0, y0, x1, y0, x1, y1, x0, y1];
}
