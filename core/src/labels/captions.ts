import { WinnowError } from '../errors.js';
import type { Database } from '../store/db.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { checkSample } from './labels.js';

/** The longest caption taken: a description of the image, not a document. */
export const MAX_CAPTION_CHARACTERS = 10_000;

/** A sample's caption as it stands: null when it has none; version 0 when it never had one. */
export interface CaptionState {
  sample_id: number;
  caption: string | null;
  version: number;
}

/** One change in a sample's caption history; a null caption removed it. */
export interface CaptionChange {
  caption: string | null;
  version: number;
  changed_at: Date;
}

/**
 * Free-text captions, one per sample, as the label panel sets them. Each change appends a row
 * with the sample's next version (a removal as a NULL caption) to `winnow.caption_history`, which
 * is never rewritten: the caption is the latest row, and every earlier one can be read back.
 */
export class Captions {
  private readonly db: Database;

  constructor(
    ws: Workspace,
    private readonly dataset: Dataset,
  ) {
    this.db = ws.db;
  }

  async get(sampleId: number): Promise<string | null> {
    return (await this.latest(sampleId)).caption;
  }

  /**
   * Sets the caption, trimmed; null, or nothing but whitespace, removes it. Setting what the
   * sample already has records nothing, so saving an untouched field leaves no version behind.
   */
  async set(sampleId: number, caption: string | null): Promise<CaptionState> {
    const wanted = checkCaption(caption);
    return this.db.transaction(async () => {
      await checkSample(this.db, this.dataset, sampleId);
      const current = await this.latest(sampleId);
      if (current.caption === wanted) return current;
      const version = current.version + 1;
      await this.db.run(
        'INSERT INTO winnow.caption_history (dataset_id, sample_id, caption, version) VALUES (?, ?, ?, ?)',
        [this.dataset.id, sampleId, wanted, version],
      );
      return { sample_id: sampleId, caption: wanted, version };
    });
  }

  /** Every change of the sample's caption, oldest first. */
  history(sampleId: number): Promise<CaptionChange[]> {
    return this.db.all<CaptionChange>(
      `SELECT caption, version, changed_at FROM winnow.caption_history
       WHERE sample_id = ? AND dataset_id = ? ORDER BY version`,
      [sampleId, this.dataset.id],
    );
  }

  private async latest(sampleId: number): Promise<CaptionState> {
    const row = await this.db.one<{ caption: string | null; version: number }>(
      `SELECT caption, version FROM winnow.caption_history
       WHERE sample_id = ? AND dataset_id = ? ORDER BY version DESC LIMIT 1`,
      [sampleId, this.dataset.id],
    );
    return { sample_id: sampleId, caption: row?.caption ?? null, version: row?.version ?? 0 };
  }
}

/** The caption to store: trimmed, null for none, refused when too long. */
function checkCaption(caption: string | null): string | null {
  const text = caption?.trim() ?? '';
  // Only a text longer in UTF-16 units can be too long in characters: count those alone.
  const length = text.length > MAX_CAPTION_CHARACTERS ? codePoints(text) : text.length;
  if (length > MAX_CAPTION_CHARACTERS) {
    throw new WinnowError(
      'invalid_argument',
      `caption: at most ${MAX_CAPTION_CHARACTERS.toLocaleString('en-US')} characters, got ${length.toLocaleString('en-US')}`,
    );
  }
  return text || null;
}

/** Characters as a reader counts them: an emoji is one, not two UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
