import {
  ARRAY,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBValue,
  type DuckDBVector,
  FLOAT,
  INTEGER,
} from '@duckdb/node-api';
import { WinnowError } from '../errors.js';
import type { Database, SqlParam } from './db.js';

/**
 * Moves embeddings between DuckDB `FLOAT[dim]` columns and contiguous typed arrays, a data chunk
 * (2,048 rows) at a time. Converting each vector to JavaScript numbers would cost seconds per
 * million rows; here the chunk's memory is copied as it is.
 *
 * @duckdb/node-api keeps a vector's typed array (`items`, and an array vector's `childData`)
 * private in its typings, so they are reached through one checked cast below.
 */

interface TypedVector {
  items?: Float32Array | Int32Array;
  childData?: TypedVector;
  flush(): void;
}

function typedItems<T extends Float32Array | Int32Array>(
  vector: DuckDBVector,
  type: { new (...args: never[]): T },
  nested: boolean,
): T {
  const raw = vector as unknown as TypedVector;
  const items = nested ? raw.childData?.items : raw.items;
  if (!(items instanceof type)) {
    throw new WinnowError('internal', 'store/vectors: this @duckdb/node-api no longer exposes vector data');
  }
  return items as T;
}

/** The first column (INTEGER) of every row `sql` yields on `connection`, as one array, chunk by chunk. */
export async function streamIds(connection: DuckDBConnection, sql: string): Promise<Int32Array> {
  const result = await connection.stream(sql);
  const chunks: Int32Array[] = [];
  let total = 0;
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    chunks.push(typedItems(chunk.getColumnVector(0), Int32Array, false).slice(0, chunk.rowCount));
    total += chunk.rowCount;
  }
  const ids = new Int32Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    ids.set(chunk, offset);
    offset += chunk.length;
  }
  return ids;
}

/** Sample ids and their vectors, row i of `vectors` belonging to `ids[i]`. */
export interface VectorRows {
  ids: Int32Array;
  vectors: Float32Array;
  dim: number;
}

/**
 * Reads `sql`, whose columns are (sample_id INTEGER, vector FLOAT[dim]) and which yields `rows`
 * rows, into contiguous arrays in the query's row order.
 */
export async function readVectors(
  db: Database,
  sql: string,
  params: readonly SqlParam[],
  dim: number,
  rows: number,
): Promise<VectorRows> {
  const ids = new Int32Array(rows);
  const vectors = new Float32Array(rows * dim);
  const read = await db.withConnection(async (connection: DuckDBConnection) => {
    const result = await connection.stream(sql, params as DuckDBValue[]);
    let offset = 0;
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      if (offset + chunk.rowCount > rows) {
        throw new WinnowError('internal', `store/vectors: query yielded more than the ${rows} rows expected`);
      }
      ids.set(typedItems(chunk.getColumnVector(0), Int32Array, false).subarray(0, chunk.rowCount), offset);
      const floats = typedItems(chunk.getColumnVector(1), Float32Array, true);
      vectors.set(floats.subarray(0, chunk.rowCount * dim), offset * dim);
      offset += chunk.rowCount;
    }
    return offset;
  });
  if (read !== rows) {
    throw new WinnowError('internal', `store/vectors: query yielded ${read} rows, ${rows} expected`);
  }
  return { ids, vectors, dim };
}

const CHUNK_ROWS = 2048;

/** Appends (sample_id, vector) rows to the temporary table `table` (sample_id INTEGER, vector FLOAT[dim]). */
export async function appendVectors(
  db: Database,
  table: string,
  { ids, vectors, dim }: VectorRows,
): Promise<void> {
  await db.withConnection(async (connection) => {
    const appender = await connection.createAppender(table, 'main', 'temp');
    try {
      for (let start = 0; start < ids.length; start += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, ids.length - start);
        const chunk = DuckDBDataChunk.create([INTEGER, ARRAY(FLOAT, dim)], count);
        const idColumn = chunk.getColumnVector(0);
        typedItems(idColumn, Int32Array, false).set(ids.subarray(start, start + count));
        const vectorColumn = chunk.getColumnVector(1);
        typedItems(vectorColumn, Float32Array, true).set(
          vectors.subarray(start * dim, (start + count) * dim),
        );
        (idColumn as unknown as TypedVector).flush();
        (vectorColumn as unknown as TypedVector).flush();
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  });
}
