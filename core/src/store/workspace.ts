import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WinnowError } from '../errors.js';
import { envSetting } from '../settings.js';
import { checkOptions, type DatasourceOptions } from '../storage/options.js';
import type { StorageKind } from '../storage/types.js';
import { Database } from './db.js';
import { migrate } from './migrations.js';
import { markInterruptedRuns } from './runs.js';
import { createViews } from './views.js';

// Not 'winnow.duckdb': the catalog would share its name with the schema `winnow`, and references become ambiguous.
export const DATABASE_FILE = 'workspace.duckdb';

export interface Datasource {
  id: number;
  kind: StorageKind;
  uri: string;
  /** How to reach it: endpoint, region, and credential references (never a secret). */
  options: DatasourceOptions;
}

/** A datasource to create: options default to none (the provider's defaults). */
export type NewDatasource = Omit<Datasource, 'id' | 'options'> & { options?: DatasourceOptions };

export interface Dataset {
  id: number;
  name: string;
  input: Datasource;
  work: Datasource;
}

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A workspace: one DuckDB file in a folder, which also holds what Winnow makes for
 * datasets whose work location is local and unspecified. One process owns it at a time
 * (DuckDB locks the file), so there is never a second writer.
 */
export class Workspace {
  private constructor(
    readonly dir: string,
    readonly db: Database,
    /** DuckDB's memory limit when the user chose one (option or WINNOW_MEMORY_LIMIT); else DuckDB's default. */
    readonly memoryLimit?: string,
  ) {}

  /**
   * Opens (creating and migrating as needed) the workspace in `dir`. DuckDB's threads and
   * memory limit come from the options, else WINNOW_THREADS and WINNOW_MEMORY_LIMIT (e.g. `4GB`),
   * else DuckDB's defaults (all cores, 80 % of memory). With `create: false` a missing workspace
   * is a `not_found` error instead, and nothing is written.
   */
  static async open(
    dir: string,
    options: { upToVersion?: number; threads?: number; memoryLimit?: string; create?: boolean } = {},
  ): Promise<Workspace> {
    const absolute = resolve(dir);
    if (options.create === false && !existsSync(join(absolute, DATABASE_FILE))) {
      throw new WinnowError(
        'not_found',
        `no workspace in ${absolute} (no ${DATABASE_FILE}): \`winnow ingest LOCATION --dataset NAME\` creates one (--workspace or WINNOW_WORKSPACE chooses where)`,
      );
    }
    // Its own folders are the user's alone: the database, its WAL and the runtime file's token
    // are then out of other users' reach whatever their modes (a umask only ever takes bits away).
    mkdirSync(absolute, { recursive: true, mode: 0o700 });
    const threads = options.threads ?? (Number(envSetting('WINNOW_THREADS')) || undefined);
    const memoryLimit = options.memoryLimit ?? envSetting('WINNOW_MEMORY_LIMIT');
    const file = join(absolute, DATABASE_FILE);
    const db = await Database.open(file, { threads, memoryLimit });
    keepPrivate(file);
    try {
      await migrate(db, options.upToVersion);
      if (options.upToVersion === undefined) {
        await createViews(db);
        await markInterruptedRuns(db);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new Workspace(absolute, db, memoryLimit);
  }

  /**
   * Where a dataset's `.winnow/` goes when the user names no work location: beside the
   * workspace when the workspace is itself a `.winnow` folder, else inside it.
   */
  get defaultWorkLocation(): string {
    return basename(this.dir) === '.winnow' ? dirname(this.dir) : this.dir;
  }

  async datasets(): Promise<Dataset[]> {
    const rows = await this.db.all<DatasetRow>(`${DATASET_SELECT} ORDER BY d.name`);
    return rows.map(toDataset);
  }

  async findDataset(name: string): Promise<Dataset | undefined> {
    const row = await this.db.one<DatasetRow>(`${DATASET_SELECT} WHERE d.name = ?`, [name]);
    return row && toDataset(row);
  }

  async dataset(name: string): Promise<Dataset> {
    const found = await this.findDataset(name);
    if (found) return found;
    const names = (await this.datasets()).map((d) => d.name);
    throw new WinnowError(
      'not_found',
      `no dataset named '${name}' in ${this.dir}` +
        (names.length ? ` (datasets: ${names.join(', ')})` : ' (it has none yet)'),
    );
  }

  async createDataset(
    name: string,
    input: NewDatasource,
    work: NewDatasource = { kind: 'local', uri: this.defaultWorkLocation },
  ): Promise<Dataset> {
    if (!DATASET_NAME.test(name)) {
      throw new WinnowError(
        'invalid_argument',
        `--dataset '${name}': use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)`,
      );
    }
    if (await this.findDataset(name))
      throw new WinnowError('already_exists', `dataset '${name}' already exists`);
    await this.db.transaction(async () => {
      const inputId = await this.insertDatasource(input);
      const workId = await this.insertDatasource(work);
      await this.db.run(
        'INSERT INTO winnow.datasets (name, input_datasource_id, work_datasource_id) VALUES (?, ?, ?)',
        [name, inputId, workId],
      );
    });
    return this.dataset(name);
  }

  /**
   * Removes a dataset that never held a sample (its first ingest failed before listing), with
   * its datasources and runs, so that its name is free again.
   */
  async forgetDataset(dataset: Dataset): Promise<void> {
    await this.db.transaction(async () => {
      const samples = await this.db.value<number>(
        'SELECT count(*) FROM winnow.samples WHERE dataset_id = ?',
        [dataset.id],
      );
      if (samples > 0)
        throw new WinnowError('invalid_argument', `dataset '${dataset.name}' holds samples: not forgotten`);
      await this.db.run('DELETE FROM winnow.runs WHERE dataset_id = ?', [dataset.id]);
      await this.db.run('DELETE FROM winnow.datasets WHERE dataset_id = ?', [dataset.id]);
      await this.db.run('DELETE FROM winnow.datasources WHERE datasource_id IN (?, ?)', [
        dataset.input.id,
        dataset.work.id,
      ]);
    });
  }

  /** Replaces how a datasource is reached (a new endpoint, profile or credential reference). */
  async setDatasourceOptions(id: number, options: DatasourceOptions): Promise<void> {
    await this.db.run('UPDATE winnow.datasources SET options = ? WHERE datasource_id = ?', [
      JSON.stringify(checkOptions(options)),
      id,
    ]);
  }

  close(): void {
    this.db.close();
  }

  private async insertDatasource(source: NewDatasource): Promise<number> {
    return this.db.value<number>(
      'INSERT INTO winnow.datasources (kind, uri, options) VALUES (?, ?, ?) RETURNING datasource_id',
      [source.kind, source.uri, JSON.stringify(checkOptions(source.options))],
    );
  }
}

interface DatasetRow {
  dataset_id: number;
  name: string;
  input_id: number;
  input_kind: Datasource['kind'];
  input_uri: string;
  input_options: string | null;
  work_id: number;
  work_kind: Datasource['kind'];
  work_uri: string;
  work_options: string | null;
}

const DATASET_SELECT = `
SELECT d.dataset_id, d.name, i.datasource_id AS input_id, i.kind AS input_kind, i.uri AS input_uri,
  i.options::VARCHAR AS input_options, w.datasource_id AS work_id, w.kind AS work_kind, w.uri AS work_uri,
  w.options::VARCHAR AS work_options
FROM winnow.datasets d
JOIN winnow.datasources i ON i.datasource_id = d.input_datasource_id
JOIN winnow.datasources w ON w.datasource_id = d.work_datasource_id`;

function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.dataset_id,
    name: row.name,
    input: {
      id: row.input_id,
      kind: row.input_kind,
      uri: row.input_uri,
      options: optionsOf(row.input_options),
    },
    work: { id: row.work_id, kind: row.work_kind, uri: row.work_uri, options: optionsOf(row.work_options) },
  };
}

function optionsOf(json: string | null): DatasourceOptions {
  return json ? checkOptions(JSON.parse(json), 'stored datasource options') : {};
}

/**
 * DuckDB creates its file with the umask's mode (0644 under the usual 022): the workspace holds
 * every label and tag, so it is made the owner's alone. Not ours to change (a workspace another
 * user shares with us): left as it is.
 */
function keepPrivate(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch {
    // EPERM: someone else's file, opened through group permissions they gave.
  }
}
