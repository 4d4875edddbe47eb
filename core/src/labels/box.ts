/**
 * The one rule for a box, wherever it comes from (a COCO, Lightly or YOLO import, the label
 * panel through the server): `[x, y, width, height]`, four finite numbers, with a width and a
 * height greater than 0, since a box of no size marks nothing. In pixels or normalized alike.
 * Returns what is wrong, or undefined for a good box.
 */
export function boxProblem(box: readonly unknown[]): string | undefined {
  if (box.length !== 4) return `expected [x, y, width, height], got ${box.length} numbers`;
  if (!box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return 'expected [x, y, width, height] as four finite numbers';
  }
  const [, , width, height] = box as number[];
  if (!(width! > 0 && height! > 0)) {
    return `width and height must be greater than 0, got width ${width} and height ${height}`;
  }
  return undefined;
}
