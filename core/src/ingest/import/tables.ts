import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { firstLineOf, InputError, type LongTaskOptions } from '../../errors.js';
import { type Database, sqlString } from '../../store/db.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
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
    const reader = tableReader(file, display);
    await access(file).catch(() => {
      throw new InputError(display, undefined, 'missing');
    });
    const stored = await storeMetadata(
      ws.db,
      dataset.id,
      { by: 'path', source: display },
      () => stageTable(ws.db, reader, display, options.key),
      options,
    );
    return { kind: 'table', ...stored };
  });
}

function tableReader(file: string, display: string): string {
  const path = sqlString(file);
  switch (extname(file).toLowerCase()) {
    case '.csv':
      return `read_csv(${path}, header = true)`;
    case '.tsv':
      return `read_csv(${path}, header = true, delim = '\t')`;
    case '.parquet':
      return `read_parquet(${path})`;
    case '.jsonl':
    case '.ndjson':
      return `read_json(${path}, format = 'newline_delimited')`;
    case '.json':
      return `read_json(${path}, format = 'auto')`;
    default:
      throw new InputError(
        display,
        undefined,
        'not a table; use .csv, .tsv, .parquet, .jsonl, .ndjson or .json',
      );
  }
}

const TABLE = 'import_table';

/** Loads and checks the table, then fills temp.import_names and temp.import_values from it. */
async function stageTable(
  db: Database,
  reader: string,
  display: string,
  key: string | undefined,
): Promise<FieldSpec[]> {
  try {
    await db.run(`CREATE OR REPLACE TEMP TABLE ${TABLE} AS SELECT * FROM ${reader}`);
  } catch (error) {
    throw new InputError(display, undefined, `cannot read: ${firstLineOf(error)}`);
  }
  const columns = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE temp.${TABLE}`);
  const keyColumn = findKeyColumn(columns, display, key);
  const name = `regexp_replace(regexp_replace(replace(CAST(${quote(keyColumn)} AS VARCHAR), '\\', '/'), '^(\\./)+', ''), '^/+', '')`;
  await checkKeys(db, display, keyColumn, name);
  await db.run(`CREATE OR REPLACE TEMP TABLE ${NAMES} AS
    SELECT ${name} AS name, CAST(${quote(keyColumn)} AS VARCHAR) AS file FROM temp.${TABLE}`);
  await stageValues(db, []);
  const fields: FieldSpec[] = [];
  for (const { column_name: column, column_type: type } of columns) {
    if (column === keyColumn) continue;
    const spec = fieldOf(type);
    if (!spec)
      throw new InputError(
        display,
        column,
        `type ${type} is not supported; use numbers, booleans or strings`,
      );
    fields.push({ key: column, ...spec, file: display, field: column });
    const slot = { int: 'value_num', float: 'value_num', string: 'value_str', bool: 'value_bool' }[spec.type];
    const cast = { int: 'DOUBLE', float: 'DOUBLE', string: 'VARCHAR', bool: 'BOOLEAN' }[spec.type];
    await db.run(
      `INSERT INTO temp.${VALUES} (name, key, ${slot})
       SELECT ${name}, ?, CAST(${quote(column)} AS ${cast}) FROM temp.${TABLE} WHERE ${quote(column)} IS NOT NULL`,
      [column],
    );
  }
  await db.run(`DROP TABLE temp.${TABLE}`);
  return fields;
}

function findKeyColumn(columns: { column_name: string }[], display: string, key: string | undefined): string {
  const names = columns.map((c) => c.column_name);
  const wanted = key ? [key] : ['filename', 'file_name'];
  const found = names.find((n) => wanted.includes(n)) ?? names.find((n) => wanted.includes(n.toLowerCase()));
  if (found) return found;
  throw new InputError(
    display,
    key ?? 'filename',
    `no such column${key ? '' : " (nor 'file_name')"}; columns: ${names.join(', ')}`,
  );
}

/** Every row must name one file, and no file twice: a second row would silently win. */
async function checkKeys(db: Database, display: string, keyColumn: string, name: string): Promise<void> {
  // Rows of a table created in an open transaction are numbered from a large offset, in order.
  const row = `rowid - (SELECT min(rowid) FROM temp.${TABLE}) + 1`;
  const empty = await db.one<{ row: number }>(
    `SELECT ${row} AS row FROM temp.${TABLE} WHERE coalesce(trim(${name}), '') = '' ORDER BY rowid LIMIT 1`,
  );
  if (empty) throw new InputError(display, `row ${empty.row}: ${keyColumn}`, 'empty filename');
  const twice = await db.one<{ name: string; rows: number[] }>(
    `SELECT ${name} AS name, list(${row} ORDER BY rowid)[1:2] AS rows
     FROM temp.${TABLE} GROUP BY 1 HAVING count(*) > 1 ORDER BY min(rowid) LIMIT 1`,
  );
  if (twice) {
    throw new InputError(
      display,
      keyColumn,
      `'${twice.name}' appears in rows ${twice.rows[0]} and ${twice.rows[1]}`,
    );
  }
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

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
