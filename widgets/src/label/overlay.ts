import type { Annotation, Prediction } from '../api.js';
import { svg } from '../panel-dom.js';
import {
  type Box,
  boxFromCorners,
  clampPoint,
  corners,
  type Fit,
  HANDLES,
  type Handle,
  handleAt,
  isUsable,
  moveBox,
  type Point,
  resizeBox,
  roundBox,
  type Size,
  sameBox,
  smallestContaining,
  toImage,
} from './geometry.js';

export interface OverlayActions {
  select(annotationId: number | null): void;
  draw(box: Box): void;
  reshape(annotationId: number, box: Box): void;
}

interface Shown {
  image: Size;
  predictions: Prediction[];
  annotations: Annotation[];
  selected: number | null;
}

type Drag =
  | { kind: 'draw'; start: Point; box: Box | null }
  | { kind: 'move'; id: number; start: Point; original: Box; box: Box }
  | { kind: 'resize'; id: number; handle: Handle; original: Box; box: Box };

/** Screen pixels: what the user can hit and read, whatever the image's scale. */
const HANDLE_PX = 8;
const FONT_PX = 12;
const MIN_BOX_PX = 4;

/**
 * The SVG drawn over the image, in the image's own pixels (its viewBox), so boxes are stored as
 * drawn. Prediction boxes are dashed, annotation boxes solid; the selected annotation gets corner
 * handles. Dragging draws (in draw mode), moves or resizes; the result goes to `actions` once the
 * pointer is released, and the panel re-renders from the server's answer.
 */
export class BoxOverlay {
  readonly element = svg('svg', { class: 'winnow-label-overlay', preserveAspectRatio: 'none' });
  drawing = false;
  private shown: Shown = { image: { width: 1, height: 1 }, predictions: [], annotations: [], selected: null };
  private drag: Drag | null = null;

  constructor(private readonly actions: OverlayActions) {
    this.element.addEventListener('pointerdown', (event) => this.start(event));
    this.element.addEventListener('pointermove', (event) => this.follow(event));
    this.element.addEventListener('pointerup', (event) => this.finish(event));
    this.element.addEventListener('pointercancel', () => this.cancel());
  }

  /** New data from the server; a drag in progress goes on (its box and id are its own). */
  show(shown: Shown): void {
    this.shown = shown;
    this.render();
    if (this.drag) this.preview(this.drag);
  }

  /** Draws again at the current screen scale (after a resize, handles and text keep their size). */
  render(): void {
    const { image, predictions, annotations, selected } = this.shown;
    this.element.setAttribute('viewBox', `0 0 ${image.width} ${image.height}`);
    this.element.classList.toggle('winnow-drawing', this.drawing);
    const unit = 1 / this.fit().scale;
    this.element.replaceChildren(
      ...predictions.filter((p) => p.box).map((p, i) => predictionBox(p, i, unit)),
      ...annotations.filter((a) => a.box).map((a) => annotationBox(a, a.annotation_id === selected, unit)),
    );
  }

  private cancel(): void {
    this.drag = null;
    this.render();
  }

  private fit(): Fit {
    const rect = this.element.getBoundingClientRect();
    return { left: rect.left, top: rect.top, scale: rect.width / this.shown.image.width || 1 };
  }

  private pointOf(event: PointerEvent): Point {
    return clampPoint(toImage({ x: event.clientX, y: event.clientY }, this.fit()), this.shown.image);
  }

  private boxes(): { id: number; box: Box }[] {
    return this.shown.annotations.flatMap((a) => (a.box ? [{ id: a.annotation_id, box: a.box as Box }] : []));
  }

  private start(event: PointerEvent): void {
    if (event.button !== 0) return;
    const point = this.pointOf(event);
    this.drag = this.dragFrom(point);
    if (!this.drag) {
      this.actions.select(null);
      return;
    }
    event.preventDefault();
    this.element.setPointerCapture(event.pointerId);
    if (this.drag.kind !== 'draw' && this.drag.id !== this.shown.selected) this.actions.select(this.drag.id);
  }

  /** What a press at `point` starts: a box in draw mode, else a handle of the selected box, else a box's body. */
  private dragFrom(point: Point): Drag | null {
    if (this.drawing) return { kind: 'draw', start: point, box: null };
    const tolerance = HANDLE_PX / this.fit().scale;
    const selected = this.boxes().find((b) => b.id === this.shown.selected);
    const handle = selected && handleAt(selected.box, point, tolerance);
    if (selected && handle) {
      return { kind: 'resize', id: selected.id, handle, original: selected.box, box: selected.box };
    }
    const hit = smallestContaining(this.boxes(), point);
    return hit ? { kind: 'move', id: hit.id, start: point, original: hit.box, box: hit.box } : null;
  }

  private follow(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    const point = this.pointOf(event);
    const { image } = this.shown;
    if (drag.kind === 'draw') drag.box = boxFromCorners(drag.start, point, image);
    else if (drag.kind === 'move')
      drag.box = moveBox(drag.original, point.x - drag.start.x, point.y - drag.start.y, image);
    else drag.box = resizeBox(drag.original, drag.handle, point, image);
    this.preview(drag);
  }

  private preview(drag: Drag): void {
    if (!drag.box) return;
    const unit = 1 / this.fit().scale;
    if (drag.kind === 'draw') {
      this.element.querySelector('.winnow-box-draft')?.remove();
      this.element.append(svg('rect', { class: 'winnow-box-draft', ...rectOf(drag.box) }));
      return;
    }
    const group = this.element.querySelector(`[data-annotation-id="${drag.id}"]`);
    const annotation = this.shown.annotations.find((a) => a.annotation_id === drag.id);
    if (group && annotation) group.replaceWith(annotationBox({ ...annotation, box: drag.box }, true, unit));
  }

  private finish(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    this.follow(event);
    this.drag = null;
    const box = drag.box && roundBox(drag.box);
    const unit = 1 / this.fit().scale;
    if (drag.kind === 'draw') {
      this.element.querySelector('.winnow-box-draft')?.remove();
      if (box && isUsable(box, MIN_BOX_PX * unit)) this.actions.draw(box);
    } else if (box && !sameBox(box, drag.original)) {
      // Until the server's answer re-renders, a next press must hit the box where it now shows.
      this.shown.annotations = this.shown.annotations.map((a) =>
        a.annotation_id === drag.id ? { ...a, box } : a,
      );
      this.actions.reshape(drag.id, box);
    }
  }
}

function predictionBox(prediction: Prediction, index: number, unit: number): SVGGElement {
  const score = prediction.score === null ? '' : ` ${prediction.score.toFixed(2)}`;
  return svg(
    'g',
    {
      class: 'winnow-box winnow-box-prediction',
      'data-prediction': index,
      style: colorOf(prediction.category),
    },
    svg('rect', rectOf(prediction.box as Box)),
    caption(prediction.box as Box, `${prediction.category}${score}`, unit),
  );
}

function annotationBox(annotation: Annotation, selected: boolean, unit: number): SVGGElement {
  const box = annotation.box as Box;
  const group = svg(
    'g',
    {
      class: `winnow-box winnow-box-annotation${selected ? ' winnow-selected' : ''}`,
      'data-annotation-id': annotation.annotation_id,
      'data-category': annotation.category,
      style: colorOf(annotation.category),
    },
    svg('rect', { class: 'winnow-box-body', ...rectOf(box) }),
    caption(box, annotation.category, unit),
  );
  if (selected) group.append(...handlesOf(box, unit));
  return group;
}

function handlesOf(box: Box, unit: number): SVGRectElement[] {
  const size = HANDLE_PX * unit;
  const at = corners(box);
  return HANDLES.map((handle) =>
    svg('rect', {
      class: 'winnow-box-handle',
      'data-handle': handle,
      x: at[handle].x - size / 2,
      y: at[handle].y - size / 2,
      width: size,
      height: size,
    }),
  );
}

function caption(box: Box, text: string, unit: number): SVGTextElement {
  const label = svg('text', {
    x: box[0] + 2 * unit,
    y: box[1] + (FONT_PX + 1) * unit,
    'font-size': FONT_PX * unit,
  });
  label.textContent = text;
  return label;
}

function rectOf(box: Box) {
  const [x, y, width, height] = box;
  return { x, y, width, height };
}

/** One hue per class name, the same for its predictions and annotations. */
function colorOf(category: string): string {
  let hash = 0;
  for (const char of category) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return `--winnow-box-color: hsl(${Math.abs(hash) % 360} 85% 55%)`;
}
