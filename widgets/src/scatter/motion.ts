/**
 * Progressive drawing while the view moves: when one frame of every point takes longer than a
 * frame should (software WebGL, a weak GPU, millions of points), pans and zooms draw an even
 * sample of the points, and the whole set once the view has been still for a moment. On a GPU
 * that draws everything within the frame budget, nothing changes.
 */

/** A frame that keeps panning smooth. */
export const FRAME_BUDGET_MS = 33;
/** How long the view stays still before every point is drawn again. */
export const SETTLE_MS = 150;

/** Every `stride`-th point, so that a frame of them fits the budget; null when all of them do. */
export function motionSample(
  pointCount: number,
  fullFrameMs: number,
  budgetMs = FRAME_BUDGET_MS,
): Uint32Array | null {
  if (fullFrameMs <= budgetMs) return null;
  const stride = Math.ceil(fullFrameMs / budgetMs);
  const sample = new Uint32Array(Math.ceil(pointCount / stride));
  for (let i = 0; i < sample.length; i++) sample[i] = i * stride;
  return sample;
}
