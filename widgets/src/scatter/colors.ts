import { type Data, DataType, type Table } from 'apache-arrow';

export type Rgb = readonly [number, number, number];

export type Legend =
  | { kind: 'numeric'; field: string; min: number; max: number; stops: readonly Rgb[] }
  | { kind: 'categorical'; field: string; entries: LegendEntry[] };

export interface LegendEntry {
  label: string;
  color: Rgb;
  count: number;
}

/** Points coloured by nothing. */
export const DEFAULT_COLOR: Rgb = [76, 120, 168];
/** Points with no value for the field, and the categories past the palette. */
export const MISSING_COLOR: Rgb = [150, 150, 150];

/** Viridis at nine even stops: perceptually even, readable on light and dark backgrounds. */
export const RAMP: readonly Rgb[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** Tableau 20: ten hues, each dark then light. */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [188, 189, 34],
  [23, 190, 207],
  [127, 127, 127],
  [174, 199, 232],
  [255, 187, 120],
  [152, 223, 138],
  [255, 152, 150],
  [197, 176, 213],
  [196, 156, 148],
  [247, 182, 210],
  [219, 219, 141],
  [158, 218, 229],
  [199, 199, 199],
];

/** The ramp's colour at t in [0, 1], linearly between stops (t outside is clamped). */
export function rampColor(t: number, stops: readonly Rgb[] = RAMP): Rgb {
  const clamped = Math.min(1, Math.max(0, t));
  const position = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(position));
  const f = position - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** RGBA bytes for `count` points of one colour. */
export function uniformColors(count: number, color: Rgb = DEFAULT_COLOR): Uint8Array {
  const rgba = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) setColor(rgba, i, color);
  return rgba;
}

/** Sample id → point index (-1 for ids without a point), for mapping server columns onto points. */
export function indexLookup(sampleIds: Int32Array): Int32Array {
  let maxId = -1;
  for (const id of sampleIds) if (id > maxId) maxId = id;
  const lookup = new Int32Array(maxId + 1).fill(-1);
  sampleIds.forEach((id, index) => {
    if (id >= 0) lookup[id] = index;
  });
  return lookup;
}

/**
 * Per-point RGBA from a colour column (`sample_id`, `value`): a ramp over a float column, the
 * palette over a dictionary of strings (most frequent categories first). Points the column does
 * not cover stay grey.
 */
export function colorsFromColumn(
  table: Table,
  field: string,
  lookup: Int32Array,
  pointCount: number,
): { rgba: Uint8Array; legend: Legend } {
  const ids = table.getChild('sample_id')!.toArray() as Int32Array;
  const points = new Int32Array(ids.length);
  ids.forEach((id, row) => {
    points[row] = id >= 0 && id < lookup.length ? lookup[id]! : -1;
  });
  const value = table.getChild('value')!;
  const rgba = uniformColors(pointCount, MISSING_COLOR);
  if (DataType.isDictionary(value.type)) {
    return { rgba, legend: paintCategories(value.data, points, rgba, field) };
  }
  return { rgba, legend: paintNumbers(value.toArray() as ArrayLike<number>, points, rgba, field) };
}

function paintNumbers(
  values: ArrayLike<number>,
  points: Int32Array,
  rgba: Uint8Array,
  field: string,
): Legend {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < values.length; row++) {
    const v = values[row]!;
    if (points[row]! < 0 || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max > min ? max - min : 1;
  for (let row = 0; row < values.length; row++) {
    const v = values[row]!;
    const point = points[row]!;
    if (point >= 0 && Number.isFinite(v)) setColor(rgba, point, rampColor((v - min) / span));
  }
  return min <= max
    ? { kind: 'numeric', field, min, max, stops: RAMP }
    : { kind: 'categorical', field, entries: [] };
}

/** Each chunk's codes index its own dictionary; categories are matched across chunks by name. */
function paintCategories(
  chunks: readonly Data[],
  points: Int32Array,
  rgba: Uint8Array,
  field: string,
): Legend {
  const codeOf = new Map<string, number>();
  const names: string[] = [];
  const categoryOfRow = new Int32Array(points.length).fill(-1);
  let row = 0;
  for (const chunk of chunks) {
    const dictionary = (chunk.dictionary?.toArray() ?? []) as string[];
    const global = dictionary.map((name) => {
      if (!codeOf.has(name)) {
        codeOf.set(name, names.length);
        names.push(name);
      }
      return codeOf.get(name)!;
    });
    const codes = chunk.values as Int32Array;
    for (let i = 0; i < chunk.length; i++, row++) {
      if (chunk.getValid(i)) categoryOfRow[row] = global[codes[i]!] ?? -1;
    }
  }
  const counts = new Float64Array(names.length);
  let missing = 0;
  categoryOfRow.forEach((category, r) => {
    if (points[r]! < 0) return;
    if (category >= 0) counts[category]!++;
    else missing++;
  });
  const ranked = names.map((_, code) => code).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const colorOf = new Map<number, Rgb>();
  ranked.slice(0, PALETTE.length).forEach((code, rank) => {
    colorOf.set(code, PALETTE[rank]!);
  });
  categoryOfRow.forEach((category, r) => {
    const color = colorOf.get(category);
    if (points[r]! >= 0 && color) setColor(rgba, points[r]!, color);
  });
  return { kind: 'categorical', field, entries: legendEntries(ranked, names, counts, colorOf, missing) };
}

function legendEntries(
  ranked: number[],
  names: string[],
  counts: Float64Array,
  colorOf: Map<number, Rgb>,
  missing: number,
): LegendEntry[] {
  const entries = ranked
    .filter((code) => colorOf.has(code) && counts[code]! > 0)
    .map((code) => ({ label: names[code]!, color: colorOf.get(code)!, count: counts[code]! }));
  const rest = ranked.slice(PALETTE.length).reduce((sum, code) => sum + counts[code]!, 0);
  if (rest > 0) entries.push({ label: 'other', color: MISSING_COLOR, count: rest });
  if (missing > 0) entries.push({ label: 'none', color: MISSING_COLOR, count: missing });
  return entries;
}

function setColor(rgba: Uint8Array, point: number, color: Rgb): void {
  const offset = point * 4;
  rgba[offset] = color[0];
  rgba[offset + 1] = color[1];
  rgba[offset + 2] = color[2];
  rgba[offset + 3] = 255;
}
