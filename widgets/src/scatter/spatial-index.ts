import type { Bounds } from './transform.js';

/**
 * A uniform grid over the points for hover lookups: the points' indices sorted by cell (a
 * counting sort), so a query scans only the cells its radius touches.
 */
export class SpatialIndex {
  private readonly columns: number;
  private readonly rows: number;
  private readonly cellStart: Int32Array;
  private readonly order: Int32Array;
  private readonly scaleX: number;
  private readonly scaleY: number;

  constructor(
    private readonly xs: Float32Array,
    private readonly ys: Float32Array,
    private readonly bounds: Bounds,
  ) {
    // About two points a cell, at most 2048 cells a side.
    const side = Math.max(1, Math.min(2048, Math.ceil(Math.sqrt(xs.length / 2))));
    this.columns = side;
    this.rows = side;
    this.scaleX = side / Math.max(bounds.maxX - bounds.minX, 1e-12);
    this.scaleY = side / Math.max(bounds.maxY - bounds.minY, 1e-12);
    const cells = new Int32Array(xs.length);
    this.cellStart = new Int32Array(side * side + 1);
    for (let i = 0; i < xs.length; i++) {
      const cell = this.cellOf(xs[i]!, ys[i]!);
      cells[i] = cell;
      this.cellStart[cell + 1]!++;
    }
    for (let c = 0; c < side * side; c++) this.cellStart[c + 1]! += this.cellStart[c]!;
    const next = this.cellStart.slice(0, side * side);
    this.order = new Int32Array(xs.length);
    for (let i = 0; i < xs.length; i++) this.order[next[cells[i]!]!++] = i;
  }

  /** The index of the point nearest to (x, y) within `radius`, or -1. */
  nearest(x: number, y: number, radius: number): number {
    const c0 = this.column(x - radius);
    const c1 = this.column(x + radius);
    const r0 = this.row(y - radius);
    const r1 = this.row(y + radius);
    let best = -1;
    let bestDistance = radius * radius;
    for (let row = r0; row <= r1; row++) {
      for (let column = c0; column <= c1; column++) {
        const cell = row * this.columns + column;
        for (let slot = this.cellStart[cell]!; slot < this.cellStart[cell + 1]!; slot++) {
          const i = this.order[slot]!;
          const dx = this.xs[i]! - x;
          const dy = this.ys[i]! - y;
          const distance = dx * dx + dy * dy;
          if (distance <= bestDistance) {
            bestDistance = distance;
            best = i;
          }
        }
      }
    }
    return best;
  }

  private column(x: number): number {
    return clamp(Math.floor((x - this.bounds.minX) * this.scaleX), 0, this.columns - 1);
  }

  private row(y: number): number {
    return clamp(Math.floor((y - this.bounds.minY) * this.scaleY), 0, this.rows - 1);
  }

  private cellOf(x: number, y: number): number {
    return this.row(y) * this.columns + this.column(x);
  }
}

/** NaN (a point without coordinates) goes to the first cell. */
function clamp(value: number, lo: number, hi: number): number {
  return Number.isNaN(value) ? lo : Math.min(hi, Math.max(lo, value));
}
