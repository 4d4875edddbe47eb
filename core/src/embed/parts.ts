import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkArea } from '../storage/work.js';
import { Database } from '../store/db.js';
import {
  embeddingTable,
  ensureModel,
  listModels,
  replaceVectorsFrom,
  stageVectors,
} from '../store/embeddings.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import type { Embedded } from './pipeline.js';

/**
 * A part: what one shard of a distributed embedding made, as a Parquet file under the work
 * location's `.winnow/parts/<run_id>/<shard>.parquet`. One row per sample: its id and path, the
 * version of the file the vector was made from (etag, else size and mtime), and the vector, or
 * the reason the file could not be decoded. The workspace's owner merges parts as they land.
 */
export const partPath = (runId: string, shard: string) => `parts/${runId}/${shard}.parquet`;

/** A sample's version as the workspace knows it: what a part's row must match to be merged. */
export const SAMPLE_VERSION_SQL = "coalesce(s.etag, s.size::VARCHAR || '@' || epoch_ms(s.mtime)::VARCHAR)";

/** A sample a shard is given: which, where, and which version of it the owner expects. */
export interface ShardSample {
  id: number;
  path: string;
  version: string;
}

/** The Parquet bytes of a part. */
export async function encodePart(samples: readonly ShardSample[], embedded: Embedded): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'winnow-part-'));
  const db = await Database.open(':memory:', { threads: 1 });
  try {
    const meta = await db.stage('part_samples', {
      sample_id: 'INTEGER',
      path: 'VARCHAR',
      version: 'VARCHAR',
    });
    for (const s of samples) meta.append([s.id, s.path, s.version]);
    meta.close();
    const reasons = await db.stage('part_reasons', { sample_id: 'INTEGER', reason: 'VARCHAR' });
    for (const f of embedded.failed) reasons.append([f.id, f.reason]);
    reasons.close();
    const dim = embedded.dim || 1;
    await stageVectors(db, 'part_vectors', { ids: embedded.ids, vectors: embedded.rows, dim });
    const file = join(dir, 'part.parquet');
    // Only the samples that were embedded or failed: one cancelled midway wrote no part at all.
    await db.run(
      `COPY (SELECT m.sample_id, m.path, m.version, v.vector::FLOAT[] AS vector, r.reason
             FROM temp.part_samples m
             LEFT JOIN temp.part_vectors v USING (sample_id)
             LEFT JOIN temp.part_reasons r USING (sample_id)
             WHERE v.sample_id IS NOT NULL OR r.sample_id IS NOT NULL
             ORDER BY m.sample_id)
       TO '${file}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    return new Uint8Array(await readFile(file));
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface MergeResult {
  /** Vectors stored by this merge. */
  merged: number;
  /** Samples marked corrupt by this merge. */
  corrupt: number;
  /** Rows left out: the sample changed since the shard read it, or already had a vector. */
  skipped: number;
  dim: number;
}

/**
 * Merges a part into the workspace, in one transaction: a row is taken only when its sample is
 * still `ok`, still at the version the shard read, and has no vector of the model yet, so merging
 * a part twice (or a part of a shard that was run twice) changes nothing, and a sample that
 * changed since stays pending for the next run.
 */
export async function mergePart(
  ws: Workspace,
  dataset: Dataset,
  work: WorkArea,
  path: string,
  model: { name: string; source: unknown },
): Promise<MergeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'winnow-merge-'));
  try {
    const file = join(dir, 'part.parquet');
    await writeFile(file, await work.read(path));
    const db = ws.db;
    return await db.transaction(async () => {
      // The part is read once; its rows for samples unchanged since the shard read them stay.
      await db.run(`CREATE OR REPLACE TEMP TABLE merge_part AS SELECT * FROM read_parquet('${file}')`);
      const rows = await db.value<number>('SELECT count(*) FROM temp.merge_part');
      await db.run(
        `DELETE FROM temp.merge_part p WHERE NOT EXISTS (
           SELECT 1 FROM winnow.samples s
           WHERE s.sample_id = p.sample_id AND s.dataset_id = ? AND s.status = 'ok' AND ${SAMPLE_VERSION_SQL} = p.version)`,
        [dataset.id],
      );
      const dim = await db.value<number | null>(
        'SELECT max(len(vector)) FROM temp.merge_part WHERE vector IS NOT NULL',
      );
      let merged = 0;
      if (dim) {
        const existing = (await listModels(db, dataset.id)).find((m) => m.name === model.name);
        const done = existing
          ? `AND sample_id NOT IN (SELECT sample_id FROM ${embeddingTable(existing)})`
          : '';
        await db.run(
          `CREATE OR REPLACE TEMP TABLE merge_vectors AS
           SELECT sample_id, vector::FLOAT[${dim}] AS vector FROM temp.merge_part
           WHERE vector IS NOT NULL ${done}`,
        );
        merged = await db.value<number>('SELECT count(*) FROM temp.merge_vectors');
        if (merged)
          await replaceVectorsFrom(
            db,
            await ensureModel(db, dataset.id, model.name, dim, model.source),
            'merge_vectors',
          );
      }
      const marked = await db.all(
        `UPDATE winnow.samples SET status = 'corrupt', reason = p.reason, updated_at = now()
         FROM temp.merge_part p
         WHERE winnow.samples.sample_id = p.sample_id AND p.reason IS NOT NULL
         RETURNING winnow.samples.sample_id`,
      );
      const corrupt = marked.length;
      await db.run('DROP TABLE IF EXISTS temp.merge_part');
      await db.run('DROP TABLE IF EXISTS temp.merge_vectors');
      return { merged, corrupt, skipped: rows - merged - corrupt, dim: dim ?? 0 };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
