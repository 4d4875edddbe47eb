/**
 * Box geometry of the label panel. Boxes are `[x, y, width, height]` in pixels of the original
 * image, as the server stores them; the screen shows the image scaled to fit, so every pointer
 * position goes through the fit before it becomes part of a box.
 */

export type Box = [x: number, y: number, width: number, height: number];

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Where the image sits on screen: its top-left corner in client pixels, and screen pixels per image pixel. */
export interface Fit {
  left: number;
  top: number;
  scale: number;
}

export type Handle = 'nw' | 'ne' | 'sw' | 'se';

export const HANDLES: readonly Handle[] = ['nw', 'ne', 'sw', 'se'];

/** The largest size with the image's aspect that fits in the container (0 × 0 when either is empty). */
export function fitSize(container: Size, image: Size): Size {
  if (image.width <= 0 || image.height <= 0) return { width: 0, height: 0 };
  const scale = Math.max(0, Math.min(container.width / image.width, container.height / image.height));
  return { width: image.width * scale, height: image.height * scale };
}

/** A client (screen) position as a position in image pixels. */
export function toImage(client: Point, fit: Fit): Point {
  return { x: (client.x - fit.left) / fit.scale, y: (client.y - fit.top) / fit.scale };
}

export function clampPoint(point: Point, image: Size): Point {
  return { x: clamp(point.x, 0, image.width), y: clamp(point.y, 0, image.height) };
}

/** The box spanned by two corners in any order, kept inside the image. */
export function boxFromCorners(a: Point, b: Point, image: Size): Box {
  const p = clampPoint(a, image);
  const q = clampPoint(b, image);
  return [Math.min(p.x, q.x), Math.min(p.y, q.y), Math.abs(p.x - q.x), Math.abs(p.y - q.y)];
}

/** The box moved by (dx, dy) image pixels, stopped at the image's edges without changing its size. */
export function moveBox(box: Box, dx: number, dy: number, image: Size): Box {
  const [x, y, width, height] = box;
  return [
    clamp(x + dx, 0, Math.max(0, image.width - width)),
    clamp(y + dy, 0, Math.max(0, image.height - height)),
    width,
    height,
  ];
}

export function corners(box: Box): Record<Handle, Point> {
  const [x, y, width, height] = box;
  return {
    nw: { x, y },
    ne: { x: x + width, y },
    sw: { x, y: y + height },
    se: { x: x + width, y: y + height },
  };
}

const OPPOSITE: Record<Handle, Handle> = { nw: 'se', ne: 'sw', sw: 'ne', se: 'nw' };

/** The box with one corner dragged to `point`; the opposite corner stays where it was. */
export function resizeBox(box: Box, handle: Handle, point: Point, image: Size): Box {
  return boxFromCorners(corners(box)[OPPOSITE[handle]], point, image);
}

/** The corner handle within `tolerance` image pixels of `point`, the nearest if several. */
export function handleAt(box: Box, point: Point, tolerance: number): Handle | null {
  let best: Handle | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  const at = corners(box);
  for (const handle of HANDLES) {
    const distance = Math.max(Math.abs(at[handle].x - point.x), Math.abs(at[handle].y - point.y));
    if (distance <= tolerance && distance < bestDistance) {
      best = handle;
      bestDistance = distance;
    }
  }
  return best;
}

export function contains(box: Box, point: Point): boolean {
  const [x, y, width, height] = box;
  return point.x >= x && point.x <= x + width && point.y >= y && point.y <= y + height;
}

/** The smallest box under `point`: nested boxes stay reachable, the inner one is picked first. */
export function smallestContaining<T extends { box: Box }>(boxes: readonly T[], point: Point): T | undefined {
  let best: T | undefined;
  for (const candidate of boxes) {
    if (!contains(candidate.box, point)) continue;
    if (!best || area(candidate.box) < area(best.box)) best = candidate;
  }
  return best;
}

function area(box: Box): number {
  return box[2] * box[3];
}

/** Whether a dragged box is big enough to keep: a click without a drag should not leave a speck. */
export function isUsable(box: Box, minimum: number): boolean {
  return box[2] >= minimum && box[3] >= minimum;
}

/** Hundredths of a pixel are plenty, and keep stored boxes readable. */
export function roundBox(box: Box): Box {
  return box.map((v) => Math.round(v * 100) / 100) as Box;
}

export function sameBox(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-6);
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}
