import type { Annotation, SampleDetail, SamplePosition } from './api.js';
import { CaptionField } from './label/caption.js';
import { type Box, fitSize, type Size } from './label/geometry.js';
import {
  addedEdit,
  captionEdit,
  changedEdit,
  deletedEdit,
  type Edit,
  type LabelChange,
  type LabelOperation,
  type LabelValue,
  UndoHistory,
} from './label/history.js';
import { BoxOverlay } from './label/overlay.js';
import { TagChips } from './label/tags.js';
import { Cleanup, chip, errorLine, guarded, h, isTyping, setOptions } from './panel-dom.js';
import { ensurePanelStyles } from './panel-style.js';
import type { Mounted, ViewContext } from './state.js';

export const labelStyles = `
.winnow-label { display: flex; flex-direction: column; gap: 6px; padding: 6px; height: 100%; min-height: 460px; outline: none; }
.winnow-label-title { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.winnow-label-stage {
  position: relative; flex: 1 1 auto; min-height: 300px; overflow: hidden;
  display: flex; align-items: center; justify-content: center; background: var(--winnow-bg-raised);
}
.winnow-label-frame { position: relative; flex: none; }
.winnow-label-frame img { position: absolute; inset: 0; width: 100%; height: 100%; user-select: none; -webkit-user-drag: none; }
.winnow-label-overlay { position: absolute; inset: 0; width: 100%; height: 100%; touch-action: none; }
.winnow-label-overlay.winnow-drawing { cursor: crosshair; }
.winnow-box rect { fill: none; stroke: var(--winnow-box-color); stroke-width: 2; vector-effect: non-scaling-stroke; }
.winnow-box-prediction { pointer-events: none; }
.winnow-box-prediction rect { stroke-dasharray: 6 4; stroke-width: 1.5; }
.winnow-box-annotation .winnow-box-body { fill: transparent; cursor: move; }
.winnow-selected .winnow-box-body { stroke-width: 3; fill: rgba(255, 255, 255, 0.12); }
.winnow-box-handle { fill: var(--winnow-bg); cursor: nwse-resize; }
.winnow-box-handle[data-handle='ne'], .winnow-box-handle[data-handle='sw'] { cursor: nesw-resize; }
.winnow-box text { fill: var(--winnow-box-color); paint-order: stroke; stroke: rgba(0, 0, 0, 0.7); pointer-events: none; }
.winnow-box-draft { fill: none; stroke: var(--winnow-accent); stroke-width: 2; stroke-dasharray: 4 2; vector-effect: non-scaling-stroke; }
.winnow-label-caption { flex: none; width: 100%; min-height: 3.2em; resize: vertical; }
.winnow-label-empty { color: var(--winnow-fg-muted); }
.winnow-label-help { color: var(--winnow-fg-muted); }
`;

const HELP =
  'b draw a box · drag a box to move it, its corners to resize · Delete remove · Ctrl/⌘-Z undo · ' +
  'Ctrl/⌘-Shift-Z redo · ←/→ previous/next · 1–9 choose a class · ' +
  'the caption is saved when you leave it or with Ctrl/⌘-Enter';

/** Where the shown sample stands among the samples meeting the query (ordered by id). */

/**
 * The detail and labeling panel: one sample (the focused one, else the first meeting the query)
 * with its predictions (dashed) and annotations (solid) over the image. Every labeling change
 * goes to the server at once and the panel re-reads the sample; undo applies the inverse change.
 */
export function mountLabelPanel(element: HTMLElement, context: ViewContext): Mounted {
  ensurePanelStyles('winnow-label-styles', labelStyles);
  const panel = new LabelPanel(context);
  element.append(panel.root);
  panel.start();
  return { dispose: () => panel.dispose() };
}

class LabelPanel {
  readonly root = h('div', { class: 'winnow-panel winnow-label', tabindex: 0 });
  private readonly errors = errorLine();
  private readonly title = h('span', { class: 'winnow-label-title', 'data-role': 'title' });
  private readonly image = h('img', { alt: '', draggable: 'false' });
  private readonly frame = h('div', { class: 'winnow-label-frame' });
  private readonly stage = h('div', { class: 'winnow-label-stage' });
  private readonly overlay = new BoxOverlay({
    select: (id) => this.select(id),
    draw: (box) => this.drawn(box),
    reshape: (id, box) => this.reshaped(id, box),
  });
  private readonly classes = h('datalist', { id: `winnow-classes-${Math.random().toString(36).slice(2)}` });
  private readonly classInput = h('input', {
    type: 'text',
    placeholder: 'class',
    'aria-label': 'Class of the selected or next box',
    'data-role': 'class',
    list: this.classes.id,
    size: 14,
  });
  private readonly boxTask = h('select', { 'aria-label': 'Task of boxes', 'data-role': 'box-task' });
  private readonly classTask = h('select', {
    'aria-label': 'Task of image classes',
    'data-role': 'class-task',
  });
  private readonly classKeys = h('div', { class: 'winnow-label-help', 'data-role': 'class-keys' });
  private readonly imageClasses = h('span', { class: 'winnow-row', 'data-role': 'image-classes' });
  private readonly caption = new CaptionField({
    save: (sampleId, shown, caption) => this.saveCaption(sampleId, shown, caption),
  });
  private readonly tags = new TagChips({
    add: (name) => this.changeTag(name, 'add'),
    remove: (name) => this.changeTag(name, 'remove'),
  });
  private readonly buttons = {
    prev: button('prev', '◀', 'Previous sample (←)'),
    next: button('next', '▶', 'Next sample (→)'),
    draw: button('draw', 'Draw box', 'Draw a box (b)'),
    delete: button('delete', 'Delete', 'Delete the selected box (Delete)'),
    undo: button('undo', 'Undo', 'Undo (Ctrl/⌘-Z)'),
    redo: button('redo', 'Redo', 'Redo (Ctrl/⌘-Shift-Z)'),
    classify: button('classify', 'Set image class', 'Label the whole image with the class'),
  };
  private readonly history = new UndoHistory();
  private readonly cleanup = new Cleanup();
  private detail: SampleDetail | null = null;
  private imageSize: Size = { width: 0, height: 0 };
  private selected: number | null = null;
  private place: SamplePosition | null = null;
  /** The position being counted for the shown sample. */
  private placing: Promise<SamplePosition | null> = Promise.resolve(null);
  private classNames: string[] = [];
  /** Answers for an earlier sample are dropped: only the latest `open` may render. */
  private openCount = 0;
  /** Changes run one after the other, so the undo stack sees them in the order the user made them. */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(private readonly context: ViewContext) {
    this.frame.append(this.image, this.overlay.element);
    this.stage.append(this.frame);
    this.root.append(
      h('div', { class: 'winnow-row' }, this.buttons.prev, this.buttons.next, this.title),
      h(
        'div',
        { class: 'winnow-row' },
        this.buttons.draw,
        this.buttons.delete,
        this.buttons.undo,
        this.buttons.redo,
        labelled('Class', this.classInput),
        this.classes,
        labelled('Box task', this.boxTask),
        this.buttons.classify,
        labelled('Image class task', this.classTask),
        this.imageClasses,
      ),
      this.stage,
      this.caption.element,
      this.tags.element,
      h('div', { class: 'winnow-label-help', 'data-role': 'help' }, HELP),
      this.classKeys,
      this.errors.element,
    );
  }

  start(): void {
    const { state } = this.context;
    this.cleanup.add(
      state.on('focus', () => this.open(state.focus)),
      state.on('where', () => (state.focus === null ? this.open(null) : this.locate())),
    );
    this.cleanup.listen(this.root, 'keydown', (event) => this.key(event as KeyboardEvent));
    this.cleanup.listen(this.root, 'pointerdown', (event) => this.takeFocus(event));
    this.cleanup.listen(this.image, 'load', () => this.imageLoaded());
    this.cleanup.listen(this.classInput, 'change', () => this.recategorize());
    this.bindButtons();
    const resize = new ResizeObserver(() => this.layout());
    resize.observe(this.stage);
    this.cleanup.add(() => resize.disconnect());
    this.loadVocabulary();
    this.open(state.focus);
    this.updateButtons();
  }

  dispose(): void {
    this.openCount++;
    this.cleanup.run();
    this.root.remove();
  }

  private bindButtons(): void {
    const actions: Record<keyof typeof this.buttons, () => void> = {
      prev: () => this.step(-1),
      next: () => this.step(1),
      draw: () => this.toggleDrawing(),
      delete: () => this.deleteSelected(),
      undo: () => this.undo(),
      redo: () => this.redo(),
      classify: () => this.classifyImage(),
    };
    for (const [name, act] of Object.entries(actions)) {
      this.cleanup.listen(this.buttons[name as keyof typeof this.buttons], 'click', act);
    }
  }

  // ---- which sample -------------------------------------------------------------------------

  private get sampleId(): number | null {
    return this.detail?.sample.sample_id ?? null;
  }

  /** Shows sample `id`, or the first sample meeting the query when it is null. */
  private async open(id: number | null): Promise<void> {
    const count = ++this.openCount;
    const { api, dataset, state } = this.context;
    await guarded(this.errors, async () => {
      const chosen =
        id ?? (await api.samples(dataset, { where: state.where, limit: 1 })).samples[0]?.sample_id;
      if (chosen === undefined) return count === this.openCount && this.showNothing();
      const placing = this.placeOf(chosen);
      // Awaited below, unless a newer sample overtakes this one: then nobody will.
      placing.catch(() => undefined);
      const detail = await api.sample(dataset, chosen);
      if (count !== this.openCount) return;
      const sameSample = detail.sample.sample_id === this.sampleId;
      if (!sameSample) {
        this.selected = null;
        this.place = null;
        this.imageSize = { width: 0, height: 0 };
      }
      this.placing = placing;
      this.render(detail);
      if (!sameSample) this.loadImage(count);
      await this.showPlace(chosen);
    });
  }

  private showNothing(): void {
    this.detail = null;
    this.place = null;
    this.placing = Promise.resolve(null);
    delete this.root.dataset.sampleId;
    this.title.replaceChildren(h('span', { class: 'winnow-label-empty' }, 'No sample meets the query.'));
    this.image.removeAttribute('src');
    this.imageSize = { width: 0, height: 0 };
    this.renderOverlay();
    this.caption.show(null, null);
    this.tags.show([]);
    this.imageClasses.replaceChildren();
    this.layout();
    this.updateButtons();
  }

  /** Counts the samples meeting the query below this one, for the position and for previous/next. */
  private locate(): void {
    const id = this.sampleId;
    if (id === null) return;
    this.placing = this.placeOf(id);
    guarded(this.errors, () => this.showPlace(id));
  }

  private async showPlace(id: number): Promise<void> {
    const place = await this.placing;
    if (id !== this.sampleId) return;
    this.place = place;
    this.renderTitle();
    this.updateButtons();
  }

  private placeOf(id: number): Promise<SamplePosition> {
    const { api, dataset, state } = this.context;
    return api.position(dataset, id, state.where);
  }

  /** Keys pressed faster than the position is counted wait for it rather than being lost. */
  private step(delta: -1 | 1): void {
    const { api, dataset, state } = this.context;
    guarded(this.errors, async () => {
      const place = await this.placing;
      if (!place) return;
      const offset = delta > 0 ? place.before + Number(place.matches) : place.before - 1;
      if (offset < 0 || offset >= place.total) return;
      const [sample] = (await api.samples(dataset, { where: state.where, offset, limit: 1 })).samples;
      if (sample) state.set('focus', sample.sample_id);
    });
  }

  // ---- showing it ---------------------------------------------------------------------------

  private render(detail: SampleDetail): void {
    this.detail = detail;
    const { sample } = detail;
    this.root.dataset.sampleId = String(sample.sample_id);
    if (sample.width && sample.height) this.imageSize = { width: sample.width, height: sample.height };
    if (!detail.annotations.some((a) => a.annotation_id === this.selected)) this.selected = null;
    this.renderTitle();
    this.renderOverlay();
    this.caption.show(sample.sample_id, detail.caption);
    this.tags.show(detail.tags);
    this.imageClasses.replaceChildren(
      ...detail.annotations
        .filter((a) => !a.box)
        .map((a) =>
          chip(`${a.category} (${a.task})`, () => this.deleteAnnotation(a.annotation_id), {
            'data-annotation-id': a.annotation_id,
          }),
        ),
    );
    this.layout();
    this.updateButtons();
  }

  private renderTitle(): void {
    const sample = this.detail?.sample;
    if (!sample) return;
    const place = this.place;
    const position = !place
      ? ''
      : place.matches
        ? `${place.before + 1} of ${place.total}`
        : `not in the query (${place.total})`;
    const size = sample.width ? `${sample.width}×${sample.height}` : '';
    this.title.textContent = [position, sample.filename, size].filter(Boolean).join(' · ');
    this.title.title = sample.filename;
  }

  /** Boxes need the image's size: until it is known (a sample without one, still loading) none show. */
  private renderOverlay(): void {
    const detail = this.imageSize.width > 0 ? this.detail : null;
    this.overlay.show({
      image: detail ? this.imageSize : { width: 1, height: 1 },
      predictions: detail?.predictions ?? [],
      annotations: detail?.annotations ?? [],
      selected: this.selected,
    });
  }

  /** The thumbnail at once, then the full image (only images have one the browser can show). */
  private async loadImage(count: number): Promise<void> {
    const { api, dataset } = this.context;
    const sample = this.detail!.sample;
    this.image.removeAttribute('src');
    const thumbnail = await api.thumbnail(dataset, sample.sample_id);
    if (count !== this.openCount) return;
    if (thumbnail) this.image.src = thumbnail;
    if (sample.kind !== 'image') return;
    const media = await api.media(dataset, sample.sample_id);
    if (count === this.openCount && media) this.image.src = media;
  }

  /** A sample without a stored size takes the size of its full image once that has loaded. */
  private imageLoaded(): void {
    const sample = this.detail?.sample;
    if (!sample || (sample.width && sample.height) || sample.kind !== 'image') return;
    this.imageSize = { width: this.image.naturalWidth, height: this.image.naturalHeight };
    this.renderOverlay();
    this.layout();
  }

  private layout(): void {
    const size = fitSize({ width: this.stage.clientWidth, height: this.stage.clientHeight }, this.imageSize);
    this.frame.style.width = `${size.width}px`;
    this.frame.style.height = `${size.height}px`;
    this.overlay.render();
  }

  private updateButtons(): void {
    const place = this.place;
    this.buttons.prev.disabled = !place || place.before === 0;
    this.buttons.next.disabled = !place || place.before + Number(place.matches) >= place.total;
    this.buttons.delete.disabled = this.selected === null;
    this.buttons.undo.disabled = !this.history.canUndo;
    this.buttons.redo.disabled = !this.history.canRedo;
    this.buttons.draw.setAttribute('aria-pressed', String(this.overlay.drawing));
    this.buttons.draw.disabled = this.sampleId === null;
    this.buttons.classify.disabled = this.sampleId === null;
  }

  // ---- vocabulary: classes and tasks ---------------------------------------------------------

  private loadVocabulary(): void {
    const { api, dataset } = this.context;
    guarded(this.errors, async () => {
      const [vocabulary, tags] = await Promise.all([api.vocabulary(dataset), api.tags(dataset)]);
      // In the order of the first task that has the class: the imported model's order, then new ones.
      this.classNames = vocabulary.classes;
      this.classes.replaceChildren(...this.classNames.map((value) => h('option', { value })));
      this.classKeys.textContent = this.classNames
        .slice(0, 9)
        .map((name, i) => `${i + 1} ${name}`)
        .join(' · ');
      const ofType = (type: string) => vocabulary.tasks.filter((t) => t.type === type).map((t) => t.task);
      showTasks(this.boxTask, ['detection', ...ofType('object-detection')]);
      showTasks(this.classTask, ['classification', ...ofType('classification')]);
      this.tags.suggest(tags.map((tag) => tag.name));
    });
  }

  /** The class for a new box or image label: the one typed, else the dataset's first. */
  private chosenClass(): string {
    return this.classInput.value.trim() || this.classNames[0] || 'object';
  }

  private chooseClass(index: number): void {
    const name = this.classNames[index];
    if (name === undefined) return;
    this.classInput.value = name;
    this.recategorize();
  }

  // ---- labeling ------------------------------------------------------------------------------

  private select(id: number | null): void {
    this.selected = id;
    const annotation = this.selectedAnnotation();
    if (annotation) this.classInput.value = annotation.category;
    this.renderOverlay();
    this.updateButtons();
  }

  private selectedAnnotation(): Annotation | undefined {
    return this.selected === null ? undefined : this.annotation(this.selected);
  }

  private toggleDrawing(force?: boolean): void {
    this.overlay.drawing = force ?? !this.overlay.drawing;
    this.overlay.render();
    this.updateButtons();
  }

  private drawn(box: Box): void {
    this.toggleDrawing(false);
    const sampleId = this.sampleId;
    if (sampleId === null) return;
    const label: LabelValue = { task: this.boxTask.value || 'detection', category: this.chosenClass(), box };
    // The class input shows the selected box's class, and the new box will be selected.
    this.classInput.value = label.category;
    this.change(async () => {
      const created = await this.addLabel(sampleId, label);
      this.selected = created;
      return addedEdit(sampleId, created, label);
    });
  }

  private reshaped(id: number, box: Box): void {
    this.changeAnnotation(id, { box });
  }

  /** The class input changed: the selected box takes the new class. */
  private recategorize(): void {
    const annotation = this.selectedAnnotation();
    const category = this.classInput.value.trim();
    if (annotation && category && category !== annotation.category) {
      this.changeAnnotation(annotation.annotation_id, { category });
    }
  }

  /**
   * The annotation as the server has it once the changes queued before this one are done (each
   * re-reads the sample), so an undo restores what this change replaced.
   */
  private annotation(id: number): Annotation | undefined {
    return this.detail?.annotations.find((a) => a.annotation_id === id);
  }

  private changeAnnotation(id: number, change: LabelChange): void {
    this.change(async () => {
      const before = this.annotation(id);
      if (!before) return undefined;
      await this.apply(before.sample_id, { kind: 'change', annotationId: id, change });
      return changedEdit(before.sample_id, id, before, change);
    });
  }

  private deleteSelected(): void {
    if (this.selected !== null) this.deleteAnnotation(this.selected);
  }

  private deleteAnnotation(id: number): void {
    this.change(async () => {
      const before = this.annotation(id);
      if (!before) return undefined;
      await this.apply(before.sample_id, { kind: 'delete', annotationId: id });
      if (this.selected === id) this.selected = null;
      const { task, category, box } = before;
      return deletedEdit(before.sample_id, id, { task, category, box });
    });
  }

  /** The whole image's class: changes the class label of the chosen task, or adds one. */
  private classifyImage(): void {
    const sampleId = this.sampleId;
    const task = this.classTask.value || 'classification';
    const category = this.chosenClass();
    if (sampleId === null) return;
    const current = this.detail?.annotations.find((a) => !a.box && a.task === task);
    if (current) {
      if (current.category !== category) this.changeAnnotation(current.annotation_id, { category });
      return;
    }
    const label: LabelValue = { task, category, box: null };
    this.change(async () => addedEdit(sampleId, await this.addLabel(sampleId, label), label));
  }

  /** A caption typed for `sampleId`: undo restores the one the server had before it. */
  private saveCaption(sampleId: number, shown: string | null, caption: string | null): Promise<unknown> {
    return this.change(async () => {
      // The detail is re-read after every queued change, so while it is this sample's it is exact;
      // the field's `shown` may predate a save still queued.
      const before = this.detail?.sample.sample_id === sampleId ? this.detail.caption : shown;
      if (before === caption) return undefined;
      await this.apply(sampleId, { kind: 'caption', caption });
      return captionEdit(sampleId, before, caption);
    });
  }

  private undo(): void {
    this.change(async () => this.revisit(await this.history.undo((id, op) => this.apply(id, op))));
  }

  private redo(): void {
    this.change(async () => this.revisit(await this.history.redo((id, op) => this.apply(id, op))));
  }

  /** After an undo on another sample, that sample is shown, so the user sees what changed. */
  private revisit(sampleId: number | undefined): undefined {
    if (sampleId !== undefined && sampleId !== this.sampleId) this.context.state.set('focus', sampleId);
    return undefined;
  }

  /** One operation on the server; answers the new annotation's id for an add. */
  private async apply(sampleId: number, operation: LabelOperation): Promise<number | undefined> {
    const { api, dataset } = this.context;
    switch (operation.kind) {
      case 'add':
        return this.addLabel(sampleId, operation.label);
      case 'delete':
        await api.deleteAnnotation(dataset, operation.annotationId);
        break;
      case 'change':
        await api.changeAnnotation(dataset, operation.annotationId, operation.change);
        break;
      case 'caption':
        await api.setCaption(dataset, sampleId, operation.caption);
    }
    return undefined;
  }

  private async addLabel(sampleId: number, label: LabelValue): Promise<number> {
    const created = await this.context.api.addAnnotation(this.context.dataset, sampleId, label);
    // A class typed for the first time is now one of the dataset's: offer it from now on.
    if (!this.classNames.includes(created.category)) this.loadVocabulary();
    return created.annotation_id;
  }

  /**
   * Runs a change after the ones before it, records its edit for undo, and re-reads the sample so
   * the overlay shows what the server stored. A refused change shows its message and records nothing.
   */
  private change(work: () => Promise<Edit | undefined>): Promise<unknown> {
    this.changes = this.changes.then(async () => {
      const edit = await guarded(this.errors, work);
      if (edit) this.history.record(edit);
      await this.refresh();
    });
    return this.changes;
  }

  private async refresh(): Promise<void> {
    const id = this.sampleId;
    if (id === null) return;
    const count = this.openCount;
    // Not `guarded`: a re-read after a refused change must leave that change's message showing.
    try {
      const detail = await this.context.api.sample(this.context.dataset, id);
      if (count === this.openCount) this.render(detail);
    } catch (error) {
      this.errors.show(error);
    }
  }

  private changeTag(name: string, how: 'add' | 'remove'): void {
    const sampleId = this.sampleId;
    if (sampleId === null) return;
    const { api, dataset } = this.context;
    guarded(this.errors, async () => {
      await api.changeTag(dataset, name, { [how]: [sampleId] });
      await this.refresh();
    });
  }

  // ---- keys ----------------------------------------------------------------------------------

  /**
   * A click on the image or a button gives the keys to the panel's shortcuts; a click in a field
   * leaves the focus there, or the field would lose it (and the caption save) mid-edit.
   */
  private takeFocus(event: Event): void {
    if (!isTyping(event)) this.root.focus({ preventScroll: true });
  }

  private key(event: KeyboardEvent): void {
    if (isTyping(event)) return;
    const action = this.shortcut(event);
    if (!action) return;
    event.preventDefault();
    action();
  }

  private shortcut(event: KeyboardEvent): (() => void) | undefined {
    const key = event.key.toLowerCase();
    if (event.ctrlKey || event.metaKey) {
      if (key === 'z') return event.shiftKey ? () => this.redo() : () => this.undo();
      return key === 'y' ? () => this.redo() : undefined;
    }
    if (event.altKey) return undefined;
    if (/^[1-9]$/.test(key)) return () => this.chooseClass(Number(key) - 1);
    const plain: Record<string, () => void> = {
      b: () => this.toggleDrawing(),
      delete: () => this.deleteSelected(),
      backspace: () => this.deleteSelected(),
      arrowleft: () => this.step(-1),
      arrowright: () => this.step(1),
      escape: () => {
        this.toggleDrawing(false);
        this.select(null);
      },
    };
    return plain[key];
  }
}

function button(action: string, text: string, title: string): HTMLButtonElement {
  return h('button', { type: 'button', 'data-action': action, title }, text);
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'winnow-row' }, text, control);
}

/** A task select shows only when there is a choice to make. */
function showTasks(select: HTMLSelectElement, names: string[]): void {
  const unique = [...new Set(names)];
  setOptions(select, unique);
  (select.parentElement as HTMLElement).hidden = unique.length < 2;
}
