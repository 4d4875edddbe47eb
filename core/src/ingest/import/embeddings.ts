import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { InputError, type LongTaskOptions, throwIfAborted, WinnowError } from '../../errors.js';
import { type Database, sqlString } from '../../store/db.js';
import { ensureModel, replaceVectorsFrom, stageVectors } from '../../store/embeddings.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import { displayName } from './check.js';
import {
  dropImportTables,
  type ImportSummary,
  MATCHES,
  matchNames,
  matchStagedNames,
  recordRun,
  reportWrite,
} from './common.js';
import { loadTable, NAME, quote, TABLE } from './tables.js';

export interface EmbeddingsOptions extends LongTaskOptions {
  /** The model the vectors belong to; by default the file's name without its extension. */
  model?: string;
  /** For tables: the column holding the filename (by default `filename`, `filenames` or `file_name`). */
  key?: string;
  /** For `.npy`: a text file naming the file of each row, one per line. */
  filenames?: string;
}

const STAGED = 'import_vectors';
/** Lightly's embeddings CSV: `filenames, embedding_0, …, embedding_{d-1}, labels`. */
const NUMBERED = /^embedding_(\d+)$/;
const VECTOR_COLUMNS = ['embedding', 'embeddings', 'vector', 'features'];

/**
 * Loads embeddings made elsewhere, keyed by filename: a table (CSV as Lightly writes it, Parquet
 * or JSON lines with one list column or numbered `embedding_<i>` columns) or a NumPy `.npy`
 * matrix with a file of filenames. Every vector is checked (length, finite values) before
 * anything is written; a sample's earlier vector for the same model is replaced.
 */
export async function importEmbeddings(
  ws: Workspace,
  dataset: Dataset,
  file: string,
  options: EmbeddingsOptions = {},
): Promise<ImportSummary> {
  const model = options.model ?? basename(file, extname(file));
  const config = { format: 'embeddings', source: file, model };
  return recordRun(ws, dataset, config, async () => {
    const display = displayName(file);
    const db = ws.db;
    return db.transaction(async () => {
      reportWrite(options, 0, 2);
      const dim =
        extname(file).toLowerCase() === '.npy'
          ? await stageNpy(db, dataset.id, file, display, options)
          : await stageTableVectors(db, dataset.id, file, display, options.key);
      throwIfAborted(options.signal);
      reportWrite(options, 1, 2);
      const matched = await db.value<number>(`SELECT count(*) FROM temp.${STAGED}`);
      const unmatched = await db.all<{ file: string }>(
        `SELECT file FROM temp.import_names WHERE name NOT IN (SELECT name FROM temp.${MATCHES}) ORDER BY file LIMIT 20`,
      );
      const unmatchedCount = await db.value<number>(
        `SELECT count(*) FROM temp.import_names WHERE name NOT IN (SELECT name FROM temp.${MATCHES})`,
      );
      const stored = await ensureModel(db, dataset.id, model, dim, { file: display });
      const records = await replaceVectorsFrom(db, stored, STAGED);
      await db.run(`DROP TABLE temp.${STAGED}`);
      await dropImportTables(db);
      reportWrite(options, 2, 2);
      return {
        kind: 'embeddings',
        model,
        dim,
        samples: matched,
        records,
        unmatched: unmatched.map((r) => r.file),
        unmatched_count: unmatchedCount,
      };
    });
  });
}

/** A table's vectors, checked, matched to samples and staged as temp.import_vectors; returns the dimension. */
async function stageTableVectors(
  db: Database,
  datasetId: number,
  file: string,
  display: string,
  key: string | undefined,
): Promise<number> {
  const { keyColumn, columns } = await loadTable(db, file, display, key);
  const vector = vectorExpression(columns, keyColumn, display);
  const rowNumber = `rowid - (SELECT min(rowid) FROM temp.${TABLE}) + 1`;
  const text = await firstTextCell(db, vector.textColumns, rowNumber);
  if (text) throw new InputError(display, `row ${text.row} ('${text.name}'): ${text.column}`, 'not a number');
  const dim = await db.value<number | null>(
    `SELECT len(${vector.sql}) FROM temp.${TABLE} WHERE ${vector.sql} IS NOT NULL LIMIT 1`,
  );
  if (!dim) throw new InputError(display, vector.field, 'no vectors in the file');
  const bad = await db.one<{ row: number; name: string; length: number | null }>(
    `SELECT ${rowNumber} AS row, ${NAME} AS name, len(${vector.sql}) AS length FROM temp.${TABLE}
     WHERE ${vector.sql} IS NULL OR len(${vector.sql}) <> ${dim}
       OR list_bool_or(list_transform(${vector.sql}, v -> v IS NULL OR isnan(v) OR isinf(v)))
     ORDER BY rowid LIMIT 1`,
  );
  if (bad) {
    const detail =
      bad.length === null
        ? 'no vector'
        : bad.length !== dim
          ? `${bad.length} values where the first row has ${dim}`
          : 'a missing, NaN or infinite value';
    throw new InputError(display, `row ${bad.row} ('${bad.name}'): ${vector.field}`, detail);
  }
  await matchStagedNames(db, datasetId, 'path', display);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE ${STAGED} AS
     SELECT m.sample_id, CAST(${vector.sql} AS FLOAT[${dim}]) AS vector
     FROM temp.${TABLE} JOIN temp.${MATCHES} m ON m.name = ${NAME}`,
  );
  await db.run(`DROP TABLE temp.${TABLE}`);
  return dim;
}

/**
 * The first cell of these columns holding text that is not a number, in file order. A CSV column
 * with text in it is read as text (VARCHAR), so a vector column typed so is checked cell by cell.
 */
async function firstTextCell(
  db: Database,
  columns: readonly string[],
  rowNumber: string,
): Promise<{ row: number; name: string; column: string } | undefined> {
  if (columns.length === 0) return undefined;
  const which = columns
    .map(
      (c) => `WHEN ${quote(c)} IS NOT NULL AND TRY_CAST(${quote(c)} AS FLOAT) IS NULL THEN ${sqlString(c)}`,
    )
    .join(' ');
  return db.one(
    `SELECT row, name, "column" FROM (
       SELECT rowid AS r, ${rowNumber} AS row, ${NAME} AS name, CASE ${which} END AS "column" FROM temp.${TABLE})
     WHERE "column" IS NOT NULL ORDER BY r LIMIT 1`,
  );
}

/** Column types that are numbers: anything else in a vector column is text to check. */
const NUMERIC = /^(FLOAT|DOUBLE|DECIMAL.*|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT))$/;

/**
 * The SQL of a row's vector: one list column, or Lightly's numbered columns gathered in order;
 * with the numbered columns not typed as numbers, to be checked for text.
 */
function vectorExpression(
  columns: { column_name: string; column_type: string }[],
  keyColumn: string,
  display: string,
): { sql: string; field: string; textColumns: string[] } {
  const numbered = columns
    .map((c) => ({ name: c.column_name, type: c.column_type, index: NUMBERED.exec(c.column_name)?.[1] }))
    .filter((c): c is { name: string; type: string; index: string } => c.index !== undefined)
    .sort((a, b) => Number(a.index) - Number(b.index));
  if (numbered.length > 0) {
    const gap = numbered.findIndex((c, i) => Number(c.index) !== i);
    if (gap >= 0)
      throw new InputError(
        display,
        `embedding_${gap}`,
        'missing column (embedding_<i> must run from 0 without gaps)',
      );
    return {
      sql: `list_value(${numbered.map((c) => `CAST(${quote(c.name)} AS FLOAT)`).join(', ')})`,
      field: `embedding_0..embedding_${numbered.length - 1}`,
      textColumns: numbered.filter((c) => !NUMERIC.test(c.type)).map((c) => c.name),
    };
  }
  const lists = columns.filter((c) => c.column_name !== keyColumn && /\[\d*\]$/.test(c.column_type));
  const chosen =
    lists.find((c) => VECTOR_COLUMNS.includes(c.column_name.toLowerCase())) ??
    (lists.length === 1 ? lists[0] : undefined);
  if (
    !chosen ||
    !/^(FLOAT|DOUBLE|DECIMAL.*|U?(TINYINT|SMALLINT|INTEGER|BIGINT))\[\d*\]$/.test(chosen.column_type)
  ) {
    throw new InputError(
      display,
      chosen?.column_name,
      chosen
        ? `type ${chosen.column_type} is not a list of numbers`
        : `no vector column: give one list column (named ${VECTOR_COLUMNS.join(', ')}) or columns embedding_0, embedding_1, …`,
    );
  }
  return { sql: `CAST(${quote(chosen.column_name)} AS FLOAT[])`, field: chosen.column_name, textColumns: [] };
}

/** A `.npy` matrix (rows = files, float16/32/64) and its filenames, checked, matched and staged. */
async function stageNpy(
  db: Database,
  datasetId: number,
  file: string,
  display: string,
  options: EmbeddingsOptions,
): Promise<number> {
  if (!options.filenames) {
    throw new WinnowError(
      'invalid_argument',
      `${display}: a .npy file needs --filenames FILE (one filename per row)`,
    );
  }
  const matrix = await readNpy(file, display);
  const namesDisplay = displayName(options.filenames);
  const names = (
    await readFile(options.filenames, 'utf8').catch(() => {
      throw new InputError(namesDisplay, undefined, 'missing');
    })
  )
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line, i, all) => line !== '' || i < all.length - 1);
  if (names.length !== matrix.rows) {
    throw new InputError(
      namesDisplay,
      undefined,
      `${names.length} filenames for the ${matrix.rows} rows of ${display}`,
    );
  }
  const empty = names.indexOf('');
  if (empty >= 0) throw new InputError(namesDisplay, `line ${empty + 1}`, 'empty filename');
  const normalized = names.map((n) =>
    n
      .replaceAll('\\', '/')
      .replace(/^(\.\/)+/, '')
      .replace(/^\/+/, ''),
  );
  const seen = new Map<string, number>();
  normalized.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined)
      throw new InputError(namesDisplay, undefined, `lines ${first + 1} and ${i + 1} name the same file`);
    seen.set(name, i);
  });
  await matchNames(
    db,
    datasetId,
    normalized.map((name, i) => ({ name, file: names[i]! })),
    'path',
    display,
  );
  const matches = await db.all<{ name: string; sample_id: number }>(
    `SELECT name, sample_id FROM temp.${MATCHES}`,
  );
  const { dim } = matrix;
  const ids = new Int32Array(matches.length);
  const vectors = new Float32Array(matches.length * dim);
  matches.forEach((m, i) => {
    const row = seen.get(m.name)!;
    ids[i] = m.sample_id;
    vectors.set(matrix.data.subarray(row * dim, (row + 1) * dim), i * dim);
  });
  await stageVectors(db, STAGED, { ids, vectors, dim });
  return dim;
}

async function readNpy(
  file: string,
  display: string,
): Promise<{ data: Float32Array; rows: number; dim: number }> {
  const bytes = await readFile(file).catch(() => {
    throw new InputError(display, undefined, 'missing');
  });
  let parsed: ReturnType<typeof parseNpy>;
  try {
    parsed = parseNpy(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
  } catch (error) {
    throw new InputError(
      display,
      undefined,
      `not a NumPy .npy file (${error instanceof Error ? error.message : error})`,
    );
  }
  if (parsed.shape.length !== 2 || parsed.shape[1] === 0) {
    throw new InputError(
      display,
      undefined,
      `expected a 2-D matrix (rows × dimensions), got shape [${parsed.shape.join(', ')}]`,
    );
  }
  if (parsed.fortranOrder)
    throw new InputError(
      display,
      undefined,
      'Fortran-ordered arrays are not supported; save with np.ascontiguousarray',
    );
  if (!['f2', 'f4', 'f8'].includes(parsed.dtype)) {
    throw new InputError(
      display,
      undefined,
      `dtype ${parsed.dtype} is not a float type (float16, float32 or float64)`,
    );
  }
  const [rows, dim] = parsed.shape as [number, number];
  const data =
    parsed.data instanceof Float32Array ? parsed.data : Float32Array.from(parsed.data as Float64Array);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new InputError(
      display,
      `row ${Math.floor(bad / dim)}`,
      `a non-finite value (${data[bad]}) at column ${bad % dim}`,
    );
  return { data, rows, dim };
}
