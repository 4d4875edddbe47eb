/**
 * Undo and redo of labeling (annotations and captions). The server keeps every change in its
 * history, so an undo is not a rollback but one more change: the inverse operation, applied
 * through the API like any other. Re-adding a deleted annotation gives it a new id, so the stacks
 * follow the id from then on.
 */

export interface LabelValue {
  task: string;
  category: string;
  box: number[] | null;
}

export interface LabelChange {
  category?: string;
  box?: number[];
}

/**
 * One operation on the server: on an annotation (`add` re-creates the one known as
 * `annotationId`), or setting the sample's caption (null removes it).
 */
export type LabelOperation =
  | { kind: 'add'; annotationId: number; label: LabelValue }
  | { kind: 'delete'; annotationId: number }
  | { kind: 'change'; annotationId: number; change: LabelChange }
  | { kind: 'caption'; caption: string | null };

/** A change the user made on a sample, and the operation that takes it back. */
export interface Edit {
  sampleId: number;
  forward: LabelOperation;
  inverse: LabelOperation;
}

/** Applies an operation on the server; answers the id of the annotation it created, for an `add`. */
export type Apply = (sampleId: number, operation: LabelOperation) => Promise<number | undefined>;

export function addedEdit(sampleId: number, annotationId: number, label: LabelValue): Edit {
  return {
    sampleId,
    forward: { kind: 'add', annotationId, label },
    inverse: { kind: 'delete', annotationId },
  };
}

export function deletedEdit(sampleId: number, annotationId: number, label: LabelValue): Edit {
  return {
    sampleId,
    forward: { kind: 'delete', annotationId },
    inverse: { kind: 'add', annotationId, label },
  };
}

/** A change of class or box; the inverse restores only the fields the change touched. */
export function changedEdit(
  sampleId: number,
  annotationId: number,
  before: LabelValue,
  change: LabelChange,
): Edit {
  const restore: LabelChange = {};
  if (change.category !== undefined) restore.category = before.category;
  if (change.box !== undefined && before.box) restore.box = before.box;
  return {
    sampleId,
    forward: { kind: 'change', annotationId, change },
    inverse: { kind: 'change', annotationId, change: restore },
  };
}

export function captionEdit(sampleId: number, before: string | null, after: string | null): Edit {
  return {
    sampleId,
    forward: { kind: 'caption', caption: after },
    inverse: { kind: 'caption', caption: before },
  };
}

export class UndoHistory {
  private readonly done: Edit[] = [];
  private readonly undone: Edit[] = [];

  constructor(private readonly limit = 200) {}

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** A new change: it can be undone, and what was undone before can no longer be redone. */
  record(edit: Edit): void {
    this.done.push(edit);
    if (this.done.length > this.limit) this.done.shift();
    this.undone.length = 0;
  }

  /** Applies the inverse of the last change; answers its sample, or undefined when there is none. */
  undo(apply: Apply): Promise<number | undefined> {
    return this.step(this.done, this.undone, 'inverse', apply);
  }

  redo(apply: Apply): Promise<number | undefined> {
    return this.step(this.undone, this.done, 'forward', apply);
  }

  /**
   * Takes the top edit only once the server accepted its operation, so a refused undo stays
   * on the stack to be tried again.
   */
  private async step(
    from: Edit[],
    to: Edit[],
    side: 'forward' | 'inverse',
    apply: Apply,
  ): Promise<number | undefined> {
    const edit = from.at(-1);
    if (!edit) return undefined;
    const operation = edit[side];
    const created = await apply(edit.sampleId, operation);
    from.pop();
    to.push(edit);
    if (operation.kind === 'add' && created !== undefined) this.renumber(operation.annotationId, created);
    return edit.sampleId;
  }

  private renumber(from: number, to: number): void {
    for (const edit of [...this.done, ...this.undone]) {
      for (const operation of [edit.forward, edit.inverse]) {
        if ('annotationId' in operation && operation.annotationId === from) operation.annotationId = to;
      }
    }
  }
}
