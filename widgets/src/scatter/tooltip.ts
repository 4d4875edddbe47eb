import type { ViewContext } from '../state.js';

/**
 * The hovered point's thumbnail and filename. The sample is fetched on first hover and kept; a
 * late answer for a point no longer hovered is dropped.
 */
export class Tooltip {
  private readonly element = document.createElement('div');
  private readonly image = document.createElement('img');
  private readonly caption = document.createElement('div');
  private readonly filenames = new Map<number, Promise<string>>();
  private shown: number | null = null;

  constructor(
    parent: HTMLElement,
    private readonly ctx: ViewContext,
  ) {
    this.element.className = 'winnow-tooltip';
    this.element.hidden = true;
    this.image.alt = '';
    this.caption.className = 'winnow-tooltip-caption';
    this.element.append(this.image, this.caption);
    parent.append(this.element);
  }

  show(sampleId: number, sx: number, sy: number): void {
    this.place(sx, sy);
    if (this.shown === sampleId) return;
    this.shown = sampleId;
    this.element.dataset.sampleId = String(sampleId);
    this.element.hidden = false;
    this.image.removeAttribute('src');
    this.caption.textContent = `#${sampleId}`;
    const { api, dataset } = this.ctx;
    void api.thumbnail(dataset, sampleId).then((url) => {
      if (this.shown === sampleId && url) this.image.src = url;
    });
    void this.filename(sampleId).then((name) => {
      if (this.shown === sampleId) this.caption.textContent = name;
    });
  }

  hide(): void {
    this.shown = null;
    this.element.hidden = true;
    delete this.element.dataset.sampleId;
  }

  dispose(): void {
    this.element.remove();
  }

  /** Beside the cursor, flipped to the other side near the plot's right and bottom edges. */
  private place(sx: number, sy: number): void {
    const parent = this.element.parentElement!;
    const flipX = sx > parent.clientWidth - 200;
    const flipY = sy > parent.clientHeight - 200;
    this.element.style.left = flipX ? '' : `${sx + 14}px`;
    this.element.style.right = flipX ? `${parent.clientWidth - sx + 14}px` : '';
    this.element.style.top = flipY ? '' : `${sy + 14}px`;
    this.element.style.bottom = flipY ? `${parent.clientHeight - sy + 14}px` : '';
  }

  private filename(sampleId: number): Promise<string> {
    let name = this.filenames.get(sampleId);
    if (!name) {
      const { api, dataset } = this.ctx;
      name = api.samplesById(dataset, [sampleId]).then(
        ({ samples }) => samples[0]?.filename ?? `#${sampleId}`,
        () => `#${sampleId}`,
      );
      this.filenames.set(sampleId, name);
    }
    return name;
  }
}
