import { h } from '../panel-dom.js';

export interface CaptionActions {
  /**
   * Stores the caption typed for `sampleId` (null removes it); `shown` is the caption the field
   * showed before. Resolves once the panel shows the outcome, taken or refused.
   */
  save(sampleId: number, shown: string | null, caption: string | null): Promise<unknown>;
}

/**
 * The sample's caption, saved when the user leaves the field or presses Ctrl/⌘-Enter. Text the
 * server has not taken (still saving, or refused as too long) survives the panel's re-renders,
 * so a refused caption can be shortened rather than typed again.
 */
export class CaptionField {
  readonly element = h('textarea', {
    class: 'winnow-label-caption',
    rows: 2,
    placeholder: 'Caption (saved when you leave the field, or with Ctrl/⌘-Enter)',
    'aria-label': 'Caption of the sample',
    'data-role': 'caption',
    disabled: true,
  });
  private sampleId: number | null = null;
  /** The caption as the server has it, as last shown. */
  private stored: string | null = null;
  /** The caption being saved: leaving the field after Ctrl/⌘-Enter must not save it twice. */
  private saving: string | null | undefined;

  constructor(private readonly actions: CaptionActions) {
    this.element.addEventListener('blur', () => this.commit());
    this.element.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
      event.preventDefault();
      this.commit();
    });
  }

  /** Shows the stored caption of `sampleId`, after saving what was typed for the sample shown before. */
  show(sampleId: number | null, caption: string | null): void {
    const sameSample = sampleId === this.sampleId;
    if (!sameSample) this.commit();
    const keepTyped = sameSample && this.edited;
    this.sampleId = sampleId;
    this.stored = caption;
    this.element.disabled = sampleId === null;
    if (!keepTyped) this.element.value = caption ?? '';
  }

  private get edited(): boolean {
    return normalized(this.element.value) !== this.stored;
  }

  private commit(): void {
    const sampleId = this.sampleId;
    const caption = normalized(this.element.value);
    if (sampleId === null || caption === this.stored || caption === this.saving) return;
    this.saving = caption;
    this.actions.save(sampleId, this.stored, caption).finally(() => {
      if (this.saving === caption) this.saving = undefined;
    });
  }
}

/** The caption as the server stores it: trimmed, and blank is none. */
function normalized(text: string): string | null {
  return text.trim() || null;
}
