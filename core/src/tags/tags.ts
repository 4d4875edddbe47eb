import { WinnowError } from '../errors.js';
import { describeSelection, materializeSelection, type Selection } from '../query/selection.js';
import type { Database } from '../store/db.js';
import { resolveVersion } from '../store/history.js';
import type { Dataset, Workspace } from '../store/workspace.js';

export interface TagInfo {
  name: string;
  size: number;
  version: number;
  origin: unknown;
  created_at: string;
}

export interface TagVersion {
  version: number;
  name: string;
  operation: string;
  detail: unknown;
  size: number;
  changed_at: string;
}

export interface TagChange {
  tag: TagInfo;
  added: number;
  removed: number;
  /** Given files that are not samples of the dataset (at most 20). */
  unmatched: string[];
  unmatched_count: number;
}

export type SetOperation = 'union' | 'intersection' | 'difference';

const TAG_NAME = /^[^\s].{0,255}$/;

/**
 * Tags are named subsets. Every change is a new version of the tag: the samples it added
 * and removed are appended to tag_history and never rewritten, so any earlier version (or
 * the state at any earlier time) can be read back; tag_members holds the current state.
 */
export class Tags {
  private readonly db: Database;

  constructor(
    private readonly ws: Workspace,
    private readonly dataset: Dataset,
  ) {
    this.db = ws.db;
  }

  async create(name: string, selection: Selection): Promise<TagChange> {
    checkName(name);
    return this.db.transaction(async () => {
      await this.ensureFree(name);
      const chosen = await materializeSelection(this.ws, this.dataset, selection, 'tag_input');
      const origin = describeSelection(selection);
      const tagId = await this.insertTag(name, origin);
      const change = await this.write(tagId, name, 'create', origin, 'SELECT sample_id FROM temp.tag_input');
      return { ...change, unmatched: chosen.unmatched, unmatched_count: chosen.unmatchedCount };
    });
  }

  /**
   * Makes the selection the tag's members: a new tag, or the next version of a live one
   * (operation 'replace'), so running a selection again into its tag keeps the earlier picks
   * readable as the previous version instead of failing.
   */
  async replace(name: string, selection: Selection): Promise<TagChange> {
    checkName(name);
    return this.db.transaction(async () => {
      const existing = await this.liveId(name);
      if (existing === undefined) return this.create(name, selection);
      const chosen = await materializeSelection(this.ws, this.dataset, selection, 'tag_input');
      const change = await this.write(
        existing,
        name,
        'replace',
        describeSelection(selection),
        'SELECT sample_id FROM temp.tag_input',
      );
      return { ...change, unmatched: chosen.unmatched, unmatched_count: chosen.unmatchedCount };
    });
  }

  /** A new tag from two or more existing ones. */
  async combine(name: string, operation: SetOperation, sources: string[]): Promise<TagChange> {
    checkName(name);
    if (sources.length < 2) throw new WinnowError('invalid_argument', `${operation} needs at least two tags`);
    return this.db.transaction(async () => {
      await this.ensureFree(name);
      const ids = await Promise.all(sources.map((source) => this.idOf(source)));
      const sql = { union: 'UNION', intersection: 'INTERSECT', difference: 'EXCEPT' }[operation];
      const body = ids
        .map((id) => `SELECT sample_id FROM winnow.tag_members WHERE tag_id = ${id}`)
        .join(` ${sql} `);
      const origin = { [operation]: sources };
      const tagId = await this.insertTag(name, origin);
      return {
        ...(await this.write(tagId, name, operation, origin, body)),
        unmatched: [],
        unmatched_count: 0,
      };
    });
  }

  add(name: string, selection: Selection): Promise<TagChange> {
    return this.change(
      name,
      'add',
      selection,
      (current) => `${current} UNION SELECT sample_id FROM temp.tag_input`,
    );
  }

  remove(name: string, selection: Selection): Promise<TagChange> {
    return this.change(
      name,
      'remove',
      selection,
      (current) => `${current} EXCEPT SELECT sample_id FROM temp.tag_input`,
    );
  }

  /**
   * Adds samples to the tag and removes others, creating it on first use: what the views' tag
   * chips do. Each change is a version with history. One transaction from the look-up on, so
   * concurrent calls for a new tag do not all try to create it: they take turns on the writer
   * connection, the first creates the tag and the others add to it.
   */
  addAndRemove(name: string, change: { add: number[]; remove: number[] }): Promise<TagInfo> {
    return this.db.transaction(async () => {
      const existing = await this.liveId(name);
      if (existing === undefined) await this.create(name, { ids: change.add });
      else if (change.add.length > 0) await this.add(name, { ids: change.add });
      if (existing !== undefined && change.remove.length > 0) await this.remove(name, { ids: change.remove });
      return this.info(await this.idOf(name));
    });
  }

  async rename(name: string, newName: string): Promise<TagInfo> {
    checkName(newName);
    return this.db.transaction(async () => {
      const tagId = await this.idOf(name);
      await this.ensureFree(newName);
      await this.db.run('UPDATE winnow.tags SET name = ? WHERE tag_id = ?', [newName, tagId]);
      await this.write(tagId, newName, 'rename', { from: name }, membersOf(tagId));
      return this.info(tagId);
    });
  }

  /** Ends the tag: its name is free again, and its history stays readable. */
  async delete(name: string): Promise<TagVersion> {
    return this.db.transaction(async () => {
      const tagId = await this.idOf(name);
      await this.write(tagId, name, 'delete', null, 'SELECT sample_id FROM winnow.tag_members WHERE FALSE');
      await this.db.run('UPDATE winnow.tags SET deleted_at = now() WHERE tag_id = ?', [tagId]);
      return (await this.history(name, tagId)).at(-1)!;
    });
  }

  async list(): Promise<TagInfo[]> {
    const ids = await this.db.all<{ tag_id: number }>(
      'SELECT tag_id FROM winnow.tags WHERE dataset_id = ? AND deleted_at IS NULL ORDER BY name',
      [this.dataset.id],
    );
    return Promise.all(ids.map((row) => this.info(row.tag_id)));
  }

  async info(tagId: number): Promise<TagInfo> {
    const row = (await this.db.one<Record<string, unknown>>(
      `SELECT name, version, origin, created_at,
         (SELECT count(*) FROM winnow.tag_members m WHERE m.tag_id = t.tag_id) AS size
       FROM winnow.tags t WHERE tag_id = ?`,
      [tagId],
    ))!;
    return {
      name: row.name as string,
      size: row.size as number,
      version: row.version as number,
      origin: JSON.parse(row.origin as string),
      created_at: (row.created_at as Date).toISOString(),
    };
  }

  /** The tag's versions, oldest first; a deleted tag is found by the name it had. */
  async history(name: string, knownId?: number): Promise<TagVersion[]> {
    const tagId = knownId ?? (await this.idOf(name, { includeDeleted: true }));
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT version, name, operation, detail, size, changed_at FROM winnow.tag_versions WHERE tag_id = ? ORDER BY version',
      [tagId],
    );
    return rows.map((row) => ({
      version: row.version as number,
      name: row.name as string,
      operation: row.operation as string,
      detail: row.detail === null ? null : JSON.parse(row.detail as string),
      size: row.size as number,
      changed_at: (row.changed_at as Date).toISOString(),
    }));
  }

  /** The current members' sample ids, in id order (a finished selection becomes the views' selection). */
  async memberIds(name: string): Promise<Int32Array> {
    const rows = await this.db.all<{ sample_id: number }>(
      'SELECT sample_id FROM winnow.tag_members WHERE tag_id = ? ORDER BY sample_id',
      [await this.idOf(name)],
    );
    return Int32Array.from(rows, (row) => row.sample_id);
  }

  /**
   * The filenames in the tag at a version, or as it was at a time (the latest version made
   * at or before it). Without `at`: the current members.
   */
  async members(name: string, at?: number | Date): Promise<{ version: number; files: string[] }> {
    const tagId = await this.idOf(name, { includeDeleted: at !== undefined });
    const version = await resolveVersion(
      this.db,
      { table: 'winnow.tag_versions', column: 'tag_id', id: tagId, label: `tag '${name}'` },
      at,
    );
    const files = await this.db.all<{ path: string }>(
      `SELECT s.path FROM winnow.samples s JOIN (
         SELECT sample_id FROM winnow.tag_history WHERE tag_id = ? AND version <= ?
         GROUP BY sample_id HAVING arg_max(added, version)) h USING (sample_id)
       ORDER BY s.path`,
      [tagId, version],
    );
    return { version, files: files.map((row) => row.path) };
  }

  private async change(
    name: string,
    operation: 'add' | 'remove',
    selection: Selection,
    target: (current: string) => string,
  ): Promise<TagChange> {
    return this.db.transaction(async () => {
      const tagId = await this.idOf(name);
      const chosen = await materializeSelection(this.ws, this.dataset, selection, 'tag_input');
      const change = await this.write(
        tagId,
        name,
        operation,
        describeSelection(selection),
        target(membersOf(tagId)),
      );
      return { ...change, unmatched: chosen.unmatched, unmatched_count: chosen.unmatchedCount };
    });
  }

  /** Makes `target` (SQL yielding sample_id) the tag's membership, as its next version. */
  private async write(
    tagId: number,
    name: string,
    operation: string,
    detail: unknown,
    target: string,
  ): Promise<Omit<TagChange, 'unmatched' | 'unmatched_count'>> {
    const db = this.db;
    await db.run(`CREATE OR REPLACE TEMP TABLE tag_target AS ${target}`);
    await db.run(
      `CREATE OR REPLACE TEMP TABLE tag_delta AS
       SELECT sample_id, TRUE AS added FROM (SELECT sample_id FROM temp.tag_target EXCEPT ${membersOf(tagId)})
       UNION ALL
       SELECT sample_id, FALSE AS added FROM (${membersOf(tagId)} EXCEPT SELECT sample_id FROM temp.tag_target)`,
    );
    const version = (await db.value<number>('SELECT version FROM winnow.tags WHERE tag_id = ?', [tagId])) + 1;
    await db.run('INSERT INTO winnow.tag_history SELECT ?, ?, sample_id, added FROM temp.tag_delta', [
      tagId,
      version,
    ]);
    await db.run(
      'DELETE FROM winnow.tag_members WHERE tag_id = ? AND sample_id IN (SELECT sample_id FROM temp.tag_delta WHERE NOT added)',
      [tagId],
    );
    await db.run(
      'INSERT INTO winnow.tag_members SELECT ?, sample_id FROM temp.tag_delta WHERE added ORDER BY sample_id',
      [tagId],
    );
    const size = await db.value<number>('SELECT count(*) FROM winnow.tag_members WHERE tag_id = ?', [tagId]);
    await db.run(
      'INSERT INTO winnow.tag_versions (tag_id, version, name, operation, detail, size) VALUES (?, ?, ?, ?, ?, ?)',
      [tagId, version, name, operation, detail === null ? null : JSON.stringify(detail), size],
    );
    await db.run('UPDATE winnow.tags SET version = ? WHERE tag_id = ?', [version, tagId]);
    const delta = (await db.one<{ added: number; removed: number }>(
      'SELECT count(*) FILTER (WHERE added) AS added, count(*) FILTER (WHERE NOT added) AS removed FROM temp.tag_delta',
    ))!;
    return { tag: await this.info(tagId), added: delta.added, removed: delta.removed };
  }

  private liveId(name: string): Promise<number | undefined> {
    return this.db.value<number | undefined>(
      'SELECT tag_id FROM winnow.tags WHERE dataset_id = ? AND name = ? AND deleted_at IS NULL',
      [this.dataset.id, name],
    );
  }

  private async idOf(name: string, options: { includeDeleted?: boolean } = {}): Promise<number> {
    const live = await this.liveId(name);
    if (live !== undefined) return live;
    if (options.includeDeleted) {
      const deleted = await this.db.value<number | undefined>(
        'SELECT tag_id FROM winnow.tags WHERE dataset_id = ? AND name = ? ORDER BY deleted_at DESC LIMIT 1',
        [this.dataset.id, name],
      );
      if (deleted !== undefined) return deleted;
    }
    throw new WinnowError('not_found', `no tag named '${name}' in dataset '${this.dataset.name}'`);
  }

  /** A new tag at version 0: `write` makes its first version. */
  private insertTag(name: string, origin: unknown): Promise<number> {
    return this.db.value<number>(
      'INSERT INTO winnow.tags (dataset_id, name, origin, version) VALUES (?, ?, ?, 0) RETURNING tag_id',
      [this.dataset.id, name, JSON.stringify(origin)],
    );
  }

  /** Fails when `name` is not a valid tag name or a live tag already bears it. */
  private async ensureFree(name: string): Promise<void> {
    checkName(name);
    const taken = await this.db.value<number>(
      'SELECT count(*) FROM winnow.tags WHERE dataset_id = ? AND name = ? AND deleted_at IS NULL',
      [this.dataset.id, name],
    );
    if (taken)
      throw new WinnowError(
        'already_exists',
        `tag '${name}' already exists in dataset '${this.dataset.name}'`,
      );
  }
}

/**
 * Takes the samples listed in `temp.<table>` (column sample_id) out of every tag holding them,
 * as one new version of each such tag (operation 'untag'): used when their files vanish, so
 * tags and exports agree; earlier versions still list them.
 */
export async function untagSamples(db: Database, table: string, reason: string): Promise<void> {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE untag AS
     SELECT m.tag_id, m.sample_id FROM winnow.tag_members m JOIN temp.${table} USING (sample_id)`,
  );
  const affected = 'SELECT DISTINCT tag_id FROM temp.untag';
  await db.run(
    `INSERT INTO winnow.tag_history
     SELECT u.tag_id, t.version + 1, u.sample_id, FALSE FROM temp.untag u JOIN winnow.tags t USING (tag_id)`,
  );
  await db.run(
    `DELETE FROM winnow.tag_members m
     WHERE EXISTS (SELECT 1 FROM temp.untag u WHERE u.tag_id = m.tag_id AND u.sample_id = m.sample_id)`,
  );
  await db.run(
    `INSERT INTO winnow.tag_versions (tag_id, version, name, operation, detail, size)
     SELECT t.tag_id, t.version + 1, t.name, 'untag', ?, (SELECT count(*) FROM winnow.tag_members m WHERE m.tag_id = t.tag_id)
     FROM winnow.tags t WHERE t.tag_id IN (${affected})`,
    [JSON.stringify({ reason })],
  );
  await db.run(`UPDATE winnow.tags SET version = version + 1 WHERE tag_id IN (${affected})`);
  await db.run('DROP TABLE temp.untag');
}

function membersOf(tagId: number): string {
  return `SELECT sample_id FROM winnow.tag_members WHERE tag_id = ${Number(tagId)}`;
}

export function checkName(name: string): void {
  if (!TAG_NAME.test(name) || name !== name.trim()) {
    throw new WinnowError(
      'invalid_argument',
      `tag name '${name}': 1 to 256 characters, no leading or trailing spaces`,
    );
  }
}
