import { rectangle } from './polygon.js';

export type Tool = 'pan' | 'lasso' | 'box';

export interface GestureHandlers {
  tool(): Tool;
  pan(dx: number, dy: number): void;
  zoom(sx: number, sy: number, factor: number): void;
  /** A finished lasso or box, in screen pixels relative to the plot. */
  select(polygon: number[]): void;
  hover(sx: number, sy: number): void;
  leave(): void;
}

const SVG = 'http://www.w3.org/2000/svg';
/** Lasso vertices closer than this (pixels) to the previous one are skipped. */
const LASSO_STEP = 2;

type Drag =
  | { kind: 'pan'; x: number; y: number }
  | { kind: 'lasso'; polygon: number[] }
  | { kind: 'box'; x0: number; y0: number; x1: number; y1: number };

/**
 * Pointer gestures on the plot: drag pans (or lassos with shift, or per the tool), the wheel zooms
 * around the cursor, and a moving pointer hovers. The lasso or box being drawn shows in an SVG
 * overlay. Returns the function that detaches the listeners.
 */
export function attachGestures(surface: HTMLElement, handlers: GestureHandlers): () => void {
  const overlay = document.createElementNS(SVG, 'svg');
  overlay.classList.add('winnow-lasso');
  const outline = document.createElementNS(SVG, 'polygon');
  overlay.append(outline);
  surface.append(overlay);
  let drag: Drag | null = null;

  const local = (event: MouseEvent): [number, number] => {
    const rect = surface.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };
  const showOutline = (polygon: number[] | null) => {
    outline.setAttribute('points', polygon ? polygon.join(' ') : '');
  };

  const down = (event: PointerEvent) => {
    if (event.button !== 0) return;
    const [x, y] = local(event);
    const tool = event.shiftKey ? 'lasso' : handlers.tool();
    drag =
      tool === 'pan'
        ? { kind: 'pan', x, y }
        : tool === 'lasso'
          ? { kind: 'lasso', polygon: [x, y] }
          : { kind: 'box', x0: x, y0: y, x1: x, y1: y };
    surface.setPointerCapture(event.pointerId);
    handlers.leave();
    // No text selection while dragging; that also keeps the browser from focusing, so focus here
    // (Escape clears the selection).
    event.preventDefault();
    surface.focus({ preventScroll: true });
  };
  const move = (event: PointerEvent) => {
    const [x, y] = local(event);
    if (!drag) return handlers.hover(x, y);
    if (drag.kind === 'pan') {
      handlers.pan(x - drag.x, y - drag.y);
      drag.x = x;
      drag.y = y;
    } else if (drag.kind === 'lasso') {
      const n = drag.polygon.length;
      if (Math.hypot(x - drag.polygon[n - 2]!, y - drag.polygon[n - 1]!) >= LASSO_STEP)
        drag.polygon.push(x, y);
      showOutline(drag.polygon);
    } else {
      drag.x1 = x;
      drag.y1 = y;
      showOutline(rectangle(drag.x0, drag.y0, x, y));
    }
  };
  const cancel = (event: PointerEvent): Drag | null => {
    const ended = drag;
    drag = null;
    showOutline(null);
    if (surface.hasPointerCapture(event.pointerId)) surface.releasePointerCapture(event.pointerId);
    return ended;
  };
  const up = (event: PointerEvent) => {
    const finished = cancel(event);
    if (!finished) return;
    if (finished.kind === 'lasso' && finished.polygon.length >= 6) handlers.select(finished.polygon);
    if (finished.kind === 'box' && finished.x0 !== finished.x1 && finished.y0 !== finished.y1) {
      handlers.select(rectangle(finished.x0, finished.y0, finished.x1, finished.y1));
    }
  };
  const wheel = (event: WheelEvent) => {
    event.preventDefault();
    const [x, y] = local(event);
    // Lines and pages (Firefox, some mice) count as 16 and 400 pixels.
    const pixels = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1);
    handlers.zoom(x, y, Math.exp(-pixels * 0.002));
  };
  const leave = () => {
    if (!drag) handlers.leave();
  };

  surface.addEventListener('pointerdown', down);
  surface.addEventListener('pointermove', move);
  surface.addEventListener('pointerup', up);
  surface.addEventListener('pointercancel', cancel);
  surface.addEventListener('pointerleave', leave);
  surface.addEventListener('wheel', wheel, { passive: false });
  return () => {
    surface.removeEventListener('pointerdown', down);
    surface.removeEventListener('pointermove', move);
    surface.removeEventListener('pointerup', up);
    surface.removeEventListener('pointercancel', cancel);
    surface.removeEventListener('pointerleave', leave);
    surface.removeEventListener('wheel', wheel);
    overlay.remove();
  };
}
