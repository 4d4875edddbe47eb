import { z } from 'zod';
import { type LongTaskOptions, WinnowError } from '../errors.js';
import { openDatasetStorage } from '../storage/open.js';
import { DatasourceOptions } from '../storage/options.js';
import { resolveModel } from './model.js';
import { encodePart, partPath } from './parts.js';
import { concatEmbedded, type Embedded, embedBatches, openPipeline, type Pipeline } from './pipeline.js';
import { DEVICES } from './session.js';

const Datasource = z.object({
  kind: z.enum(['local', 's3', 'obs', 'gcs', 'azure']),
  uri: z.string().min(1),
  options: DatasourceOptions.optional(),
});

/**
 * What the workspace's owner hands one shard of a distributed embedding: where the samples and
 * the work location are and how to reach them (references only: credentials come from the
 * environment of the machine the shard runs on), the model, and the samples with the version of
 * each that the owner expects. Nothing secret: the scheduler stores it.
 */
export const ShardManifest = z.object({
  run_id: z.string().regex(/^[\w.-]+$/),
  shard: z.string().regex(/^[\w.-]+$/),
  input: Datasource,
  work: Datasource,
  model: z.string().min(1),
  model_config: z.string().min(1).optional(),
  device: z.enum(DEVICES).default('auto'),
  batch_size: z.number().int().positive().optional(),
  thumbnail_size: z.number().int().positive().optional(),
  /** The cores the scheduler gave this shard (default: all of the machine's). */
  cores: z.number().int().positive().optional(),
  samples: z.array(z.object({ id: z.number().int(), path: z.string().min(1), version: z.string() })),
});
export type ShardManifest = z.infer<typeof ShardManifest>;

export interface ShardSummary {
  shard: string;
  /** The part, relative to the work location's `.winnow/`. */
  part: string;
  embedded: number;
  failed: number;
  seconds: number;
}

/** The manifest in `raw` (JSON text), checked: a bad one is a one-line error naming the field. */
export function parseManifest(raw: string): ShardManifest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new WinnowError('invalid_argument', 'shard manifest: not JSON');
  }
  const parsed = ShardManifest.safeParse(json);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw new WinnowError(
    'invalid_argument',
    `shard manifest: ${issue?.path.join('.') || 'manifest'}: ${issue?.message}`,
  );
}

/**
 * Runs shards one after another with one engine: the model's copies, the decoders and the
 * storage clients stay open from one shard to the next while the model and the locations are the
 * same (what a Ray node's long-lived engine does), so a shard costs its images, not a start-up.
 */
export class ShardRunner {
  private opened?: {
    key: string;
    pipeline: Pipeline;
    storage: Awaited<ReturnType<typeof openDatasetStorage>>;
  };

  /**
   * Embeds one shard's images as `embedDataset` would (same decode, model and thumbnails, written
   * to the work location under the samples' ids) and writes its vectors as a part. A shard that
   * is stopped writes no part; run again, it starts over (its thumbnails are rewritten the same).
   */
  async run(manifest: ShardManifest, options: LongTaskOptions = {}): Promise<ShardSummary> {
    const started = performance.now();
    const { pipeline, storage } = await this.open(manifest, options.signal);
    const files = manifest.samples.map((s) => ({
      id: s.id,
      path: s.path,
      read: () => storage.input.read(s.path),
    }));
    const batches: Embedded[] = [];
    let done = 0;
    for await (const batch of embedBatches(pipeline, files, options.signal)) {
      batches.push(batch);
      done += batch.ids.length + batch.failed.length;
      options.onProgress?.({ phase: 'embed', done, total: files.length });
    }
    const embedded = concatEmbedded(batches);
    const part = partPath(manifest.run_id, manifest.shard);
    await storage.work.write(
      part,
      await encodePart(manifest.samples, embedded),
      'application/vnd.apache.parquet',
    );
    return {
      shard: manifest.shard,
      part,
      embedded: embedded.ids.length,
      failed: embedded.failed.length,
      seconds: (performance.now() - started) / 1000,
    };
  }

  async close(): Promise<void> {
    await this.opened?.pipeline.close();
    this.opened = undefined;
  }

  private async open(manifest: ShardManifest, signal?: AbortSignal) {
    // What the engine depends on: everything but the samples and the names.
    const key = JSON.stringify({ ...manifest, samples: undefined, run_id: undefined, shard: undefined });
    if (this.opened?.key === key) return this.opened;
    await this.close();
    const storage = await openDatasetStorage(manifest);
    const spec = await resolveModel(manifest.model, { config: manifest.model_config, signal });
    const pipeline = await openPipeline(spec, storage, {
      device: manifest.device,
      batchSize: manifest.batch_size,
      thumbnailSize: manifest.thumbnail_size,
      cores: manifest.cores,
    });
    this.opened = { key, pipeline, storage };
    return this.opened;
  }
}

/** One shard with an engine of its own. */
export async function embedShard(
  manifest: ShardManifest,
  options: LongTaskOptions = {},
): Promise<ShardSummary> {
  const runner = new ShardRunner();
  try {
    return await runner.run(manifest, options);
  } finally {
    await runner.close();
  }
}
