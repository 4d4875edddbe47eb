import type { Table } from 'apache-arrow';
import { indexLookup } from './colors.js';
import { SpatialIndex } from './spatial-index.js';
import { type Bounds, boundsOf } from './transform.js';

/** The projection's points as the typed arrays the GPU and the lookups use: no object per point. */
export interface PointSet {
  ids: Int32Array;
  xs: Float32Array;
  ys: Float32Array;
  /** Sample id → point index, -1 where a sample has no point. */
  lookup: Int32Array;
  bounds: Bounds;
  index: SpatialIndex;
}

export function pointSetOf(table: Table): PointSet {
  const ids = column(table, 'sample_id') as Int32Array;
  const xs = column(table, 'x') as Float32Array;
  const ys = column(table, 'y') as Float32Array;
  const bounds = boundsOf(xs, ys);
  return { ids, xs, ys, bounds, lookup: indexLookup(ids), index: new SpatialIndex(xs, ys, bounds) };
}

function column(table: Table, name: string): ArrayLike<number> {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`points: the server's answer has no ${name} column`);
  return vector.toArray();
}

/** The point indices of the given sample ids (ids without a point are left out), as GL indices. */
export function pointIndicesOf(points: PointSet, sampleIds: Int32Array): Uint32Array {
  const indices = new Uint32Array(sampleIds.length);
  let count = 0;
  for (const id of sampleIds) {
    const index = id >= 0 && id < points.lookup.length ? points.lookup[id]! : -1;
    if (index >= 0) indices[count++] = index;
  }
  return indices.slice(0, count);
}

/** The sample ids of the given point indices. */
export function sampleIdsOf(points: PointSet, indices: Int32Array): Int32Array {
  return indices.map((index) => points.ids[index]!);
}
