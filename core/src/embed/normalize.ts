/** Each row of `dim` values scaled to unit length (a zero row stays zero). */
export function normalizeRows(rows: Float32Array, dim: number): void {
  for (let o = 0; o < rows.length; o += dim) {
    let norm = 0;
    for (let j = o; j < o + dim; j++) norm += rows[j]! * rows[j]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = o; j < o + dim; j++) rows[j] = rows[j]! * scale;
  }
}
