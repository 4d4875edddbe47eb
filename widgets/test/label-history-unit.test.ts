import { describe, expect, it } from 'vitest';
import {
  addedEdit,
  captionEdit,
  changedEdit,
  deletedEdit,
  type LabelOperation,
  type LabelValue,
  UndoHistory,
} from '../src/label/history.js';

/** A server in memory: annotations by id, new ids counting up, as the real one does; captions by sample. */
function fakeServer() {
  const annotations = new Map<number, LabelValue>();
  const captions = new Map<number, string | null>();
  let next = 100;
  const log: string[] = [];
  const apply = async (sample: number, op: LabelOperation): Promise<number | undefined> => {
    if (op.kind === 'caption') {
      captions.set(sample, op.caption);
      return undefined;
    }
    log.push(`${op.kind} ${op.annotationId}`);
    if (op.kind === 'add') {
      const id = next++;
      annotations.set(id, { ...op.label });
      return id;
    }
    const current = annotations.get(op.annotationId);
    if (!current) throw new Error(`no annotation ${op.annotationId}`);
    if (op.kind === 'delete') annotations.delete(op.annotationId);
    else annotations.set(op.annotationId, { ...current, ...op.change });
    return undefined;
  };
  return { annotations, captions, apply, log };
}

const cat: LabelValue = { task: 'detection', category: 'cat', box: [1, 2, 3, 4] };

describe('undo and redo as further changes on the server', () => {
  it('undoes an add by deleting it, and redoes it as a new annotation that later undos follow', async () => {
    const server = fakeServer();
    const history = new UndoHistory();
    const id = (await server.apply(7, { kind: 'add', annotationId: 0, label: cat }))!;
    history.record(addedEdit(7, id, cat));

    expect(await history.undo(server.apply)).toBe(7);
    expect(server.annotations.size).toBe(0);
    expect(await history.redo(server.apply)).toBe(7);
    const [again] = server.annotations.keys();
    expect(again).not.toBe(id);
    // The next undo deletes the re-created annotation under its new id.
    await history.undo(server.apply);
    expect(server.annotations.size).toBe(0);
    expect(server.log).toEqual([`add 0`, `delete ${id}`, `add ${id}`, `delete ${again}`]);
  });

  it('undoes a delete by adding it back, and a change by restoring only what it changed', async () => {
    const server = fakeServer();
    const history = new UndoHistory();
    const id = (await server.apply(7, { kind: 'add', annotationId: 0, label: cat }))!;
    await server.apply(7, { kind: 'change', annotationId: id, change: { category: 'dog' } });
    history.record(changedEdit(7, id, cat, { category: 'dog' }));
    await server.apply(7, { kind: 'delete', annotationId: id });
    history.record(deletedEdit(7, id, { ...cat, category: 'dog' }));

    await history.undo(server.apply);
    const [restored] = server.annotations.keys();
    expect(server.annotations.get(restored!)).toEqual({ ...cat, category: 'dog' });
    // The earlier change now refers to the restored annotation.
    await history.undo(server.apply);
    expect(server.annotations.get(restored!)).toEqual(cat);
    expect(history.canUndo).toBe(false);
    await history.redo(server.apply);
    expect(server.annotations.get(restored!)?.category).toBe('dog');
  });

  it("undoes a caption by setting the one before, and leaves annotations' ids alone", async () => {
    const server = fakeServer();
    const history = new UndoHistory();
    const id = (await server.apply(7, { kind: 'add', annotationId: 0, label: cat }))!;
    history.record(addedEdit(7, id, cat));
    await server.apply(7, { kind: 'caption', caption: 'a cat' });
    history.record(captionEdit(7, null, 'a cat'));
    await server.apply(7, { kind: 'caption', caption: 'two cats' });
    history.record(captionEdit(7, 'a cat', 'two cats'));

    expect(await history.undo(server.apply)).toBe(7);
    expect(server.captions.get(7)).toBe('a cat');
    await history.undo(server.apply);
    expect(server.captions.get(7)).toBeNull();
    await history.redo(server.apply);
    expect(server.captions.get(7)).toBe('a cat');
    await history.undo(server.apply);
    await history.undo(server.apply);
    expect(server.annotations.size).toBe(0);
    expect(server.log).toEqual(['add 0', `delete ${id}`]);
  });

  it('keeps a refused undo on the stack and forgets redos after a new change', async () => {
    const server = fakeServer();
    const history = new UndoHistory();
    history.record(addedEdit(7, 55, cat)); // 55 is unknown to the server: its delete fails
    await expect(history.undo(server.apply)).rejects.toThrow('no annotation 55');
    expect(history.canUndo).toBe(true);
    expect(history.canRedo).toBe(false);

    const id = (await server.apply(7, { kind: 'add', annotationId: 0, label: cat }))!;
    history.record(addedEdit(7, id, cat));
    await history.undo(server.apply);
    expect(history.canRedo).toBe(true);
    history.record(changedEdit(7, 1, cat, { box: [0, 0, 9, 9] }));
    expect(history.canRedo).toBe(false);
    expect(await new UndoHistory().undo(server.apply)).toBeUndefined();
  });

  it('restores only the changed fields and keeps at most `limit` edits', async () => {
    const edit = changedEdit(3, 9, cat, { box: [5, 5, 5, 5] });
    expect(edit.inverse).toEqual({ kind: 'change', annotationId: 9, change: { box: [1, 2, 3, 4] } });
    const history = new UndoHistory(2);
    for (let i = 0; i < 5; i++) history.record(addedEdit(1, i, cat));
    const undone: number[] = [];
    const apply = async (_sample: number, op: LabelOperation) => {
      if (op.kind !== 'caption') undone.push(op.annotationId);
      return undefined;
    };
    while (history.canUndo) await history.undo(apply);
    expect(undone).toEqual([4, 3]);
  });
});
