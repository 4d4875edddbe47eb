import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError, type LongTaskOptions } from '../../errors.js';
import { type Database, sqlString } from '../../store/db.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import { readerFailure } from '../../util/parse-failure.js';
import { displayName } from './check.js';
import {
  type FieldSpec,
  type FieldType,
  type ImportSummary,
  NAMES,
  recordRun,
  stageValues,
  storeMetadata,
  VALUES,
} from './common.js';

export interface TableOptions extends LongTaskOptions {
  /** The column holding the filename; by default `filename` or `file_name`. */
  key?: string;
}

/**
 * A metadata table (CSV, TSV, Parquet, JSON lines or a JSON array of records): one row per
 * file, one metadata key per other column, typed from the column's type. DuckDB reads it,
 * so the rows never pass through JavaScript.
 */
export async function importMetadataTable(
  ws: Workspace,
  dataset: Dataset,
  file: string,
  options: TableOptions = {},
): Promise<ImportSummary> {
  return recordRun(ws, dataset, { format: 'table', source: file }, async () => {
    const display = displayName(file);
    const stored = await storeMetadata(
      ws.db,
      dataset.id,
      { by: 'path', source: display },
      () => stageTable(ws.db, file, display, options.key),
      options,
    );
    return { kind: 'table', ...stored };
  });
}

/** The DuckDB reader of a table file, by its extension, and the format's name for messages. */
function tableReader(file: string, display: string): { sql: string; format: string } {
  const path = sqlString(file);
  switch (extname(file).toLowerCase()) {
    case '.csv':
      return { sql: `read_csv(${path}, header = true)`, format: 'CSV' };
    case '.tsv':
      return { sql: `read_csv(${path}, header = true, delim = '\t')`, format: 'TSV' };
    case '.parquet':
      return { sql: `read_parquet(${path})`, format: 'Parquet' };
    case '.jsonl':
    case '.ndjson':
      return { sql: `read_json(${path}, format = 'newline_delimited')`, format: 'JSON lines' };
    case '.json':
      return { sql: `read_json(${path}, format = 'auto')`, format: 'JSON' };
    default:
      throw new InputError(
        display,
        undefined,
        'not a table; use .csv, .tsv, .parquet, .jsonl, .ndjson or .json',
      );
  }
}

export const TABLE = 'import_table';
/** Columns the loaded table gets in front of the user's: the normalized name and the key as written. */
export const NAME = '__winnow_name';
const FILE = '__winnow_file';

export interface LoadedTable {
  keyColumn: string;
  /** The user's columns (the key included) with DuckDB's types. */
  columns: { column_name: string; column_type: string }[];
}

/**
 * Reads a table file into temp.import_table, with the normalized filename (`__winnow_name`) and
 * the filename as written (`__winnow_file`) in front of the user's columns, and checks that every
 * row names one file and no file twice. Errors name the file and the column.
 */
export async function loadTable(
  db: Database,
  file: string,
  display: string,
  key: string | undefined,
): Promise<LoadedTable> {
  const reader = tableReader(file, display);
  await access(file).catch(() => {
    throw new InputError(display, undefined, 'missing');
  });
  const columns = await readOrFail(display, reader.format, () =>
    db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${reader.sql}`),
  );
  const keyColumn = findKeyColumn(columns, display, key);
  const written = `CAST(${quote(keyColumn)} AS VARCHAR)`;
  const name = `regexp_replace(regexp_replace(replace(${written}, '\\', '/'), '^(\\./)+', ''), '^/+', '')`;
  await readOrFail(display, reader.format, () =>
    db.run(
      `CREATE OR REPLACE TEMP TABLE ${TABLE} AS SELECT ${name} AS ${NAME}, ${written} AS ${FILE}, * FROM ${reader.sql}`,
    ),
  );
  await checkKeys(db, display, keyColumn);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE ${NAMES} AS SELECT ${NAME} AS name, ${FILE} AS file FROM temp.${TABLE}`,
  );
  return { keyColumn, columns };
}

/** Loads and checks the table, then fills temp.import_names and temp.import_values from it. */
async function stageTable(
  db: Database,
  file: string,
  display: string,
  key: string | undefined,
): Promise<FieldSpec[]> {
  const { keyColumn, columns } = await loadTable(db, file, display, key);
  const fields = columns
    .filter((c) => c.column_name !== keyColumn)
    .map(({ column_name: column, column_type: type }): FieldSpec => {
      const spec = fieldOf(type);
      if (!spec)
        throw new InputError(
          display,
          column,
          `type ${type} is not supported; use numbers, booleans or strings`,
        );
      return { key: column, ...spec, file: display, field: column };
    });
  await stageValues(db, []);
  for (const field of fields) {
    const slot = { int: 'value_num', float: 'value_num', string: 'value_str', bool: 'value_bool' }[
      field.type
    ];
    const cast = { int: 'DOUBLE', float: 'DOUBLE', string: 'VARCHAR', bool: 'BOOLEAN' }[field.type];
    const column = quote(field.key);
    await db.run(
      `INSERT INTO temp.${VALUES} (name, key, ${slot})
       SELECT ${NAME}, ?, CAST(${column} AS ${cast}) FROM temp.${TABLE} WHERE ${column} IS NOT NULL`,
      [field.key],
    );
  }
  await db.run(`DROP TABLE temp.${TABLE}`);
  return fields;
}

/** DuckDB's reader errors (bad CSV, bad JSON) become input errors naming the file and line, not quoting it. */
async function readOrFail<T>(display: string, format: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new InputError(display, undefined, readerFailure(error, format));
  }
}

function findKeyColumn(columns: { column_name: string }[], display: string, key: string | undefined): string {
  const names = columns.map((c) => c.column_name);
  const wanted = key ? [key] : ['filename', 'file_name', 'filenames'];
  const found = names.find((n) => wanted.includes(n)) ?? names.find((n) => wanted.includes(n.toLowerCase()));
  if (found) return found;
  // Its columns are not listed: a file that is no such table (given by mistake, or on purpose)
  // would have its first line echoed as column names.
  throw new InputError(
    display,
    key ?? 'filename',
    `no such column${key ? '' : " (nor 'file_name', 'filenames'; name it with --key)"} among the file's ${names.length} ${names.length === 1 ? 'column' : 'columns'}`,
  );
}

/** Every row must name one file, and no file twice: a second row would silently win. */
async function checkKeys(db: Database, display: string, keyColumn: string): Promise<void> {
  // Rows of a table created in an open transaction are numbered from a large offset, in order.
  const row = `rowid - (SELECT min(rowid) FROM temp.${TABLE}) + 1`;
  const empty = await db.one<{ row: number }>(
    `SELECT ${row} AS row FROM temp.${TABLE} WHERE coalesce(trim(${NAME}), '') = '' ORDER BY rowid LIMIT 1`,
  );
  if (empty) throw new InputError(display, `row ${empty.row}: ${keyColumn}`, 'empty filename');
  const twice = await db.one<{ name: string }>(
    `SELECT ${NAME} AS name FROM temp.${TABLE} GROUP BY 1 HAVING count(*) > 1 LIMIT 1`,
  );
  if (!twice) return;
  const rows = await db.all<{ row: number }>(
    `SELECT ${row} AS row FROM temp.${TABLE} WHERE ${NAME} = ? ORDER BY rowid LIMIT 2`,
    [twice.name],
  );
  throw new InputError(
    display,
    keyColumn,
    `'${twice.name}' appears in rows ${rows[0]!.row} and ${rows[1]!.row}`,
  );
}

/**
 * Numbers, booleans and strings map to the metadata types; dates and the like are kept as
 * (non-categorical) text. Nested values have no metadata type to go to.
 */
function fieldOf(type: string): { type: FieldType; categorical: boolean } | undefined {
  if (/^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT))$/.test(type))
    return { type: 'int', categorical: false };
  if (/^(FLOAT|DOUBLE|DECIMAL.*)$/.test(type)) return { type: 'float', categorical: false };
  if (type === 'BOOLEAN') return { type: 'bool', categorical: true };
  if (type === 'VARCHAR') return { type: 'string', categorical: true };
  if (/^(DATE|TIME.*|TIMESTAMP.*|UUID|INTERVAL)$/.test(type)) return { type: 'string', categorical: false };
  return undefined;
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
