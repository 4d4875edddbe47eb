import { z } from 'zod';
import type { Progress } from '../errors.js';
import { DatasourceOptions } from '../storage/options.js';
import { nonNegativeInteger, pathField, textField } from './fields.js';

/**
 * The options of each job kind (POST /api/jobs), as the server takes them, `winnow <kind>` and
 * `%winnow <kind>` offer them (docs/architecture.md, "One contract").
 */

/** The fields that name what to import: a request gives exactly one. */
const SOURCE = { source: true };

/** What to import: exactly one source (the first six fields), and what that source reads further. */
export const ImportSource = z
  .object({
    yolo: pathField('YOLO label folder (one .txt per image); needs --classes', 'folder', SOURCE).optional(),
    classes: pathField('class names for --yolo: YAML with names:, or one name per line', 'file').optional(),
    coco: pathField('COCO instances JSON', 'file', SOURCE).optional(),
    lightlyMetadata: pathField(
      'Lightly metadata folder (schema.json + one JSON per file)',
      'folder',
      SOURCE,
    ).optional(),
    lightlyPredictions: pathField(
      'Lightly predictions folder (tasks.json + <task>/schema.json + one JSON per file)',
      'folder',
      SOURCE,
    ).optional(),
    metadata: pathField(
      'a metadata table keyed by filename: CSV, Parquet or JSON lines',
      'file',
      SOURCE,
    ).optional(),
    embeddings: pathField(
      'embeddings keyed by filename: CSV (Lightly format), Parquet or JSON lines, or .npy with --filenames',
      'file',
      SOURCE,
    ).optional(),
    model: textField('for --embeddings: the model they belong to (default: the file name)', {
      metavar: 'name',
    }).optional(),
    filenames: pathField(
      'for an --embeddings .npy file: the filename of each row, one per line',
      'file',
    ).optional(),
    key: textField('for --metadata and --embeddings: the column holding the filename', {
      metavar: 'column',
    }).optional(),
    as: z
      .enum(['predictions', 'annotations'], { error: 'expected predictions or annotations' })
      .describe('for --yolo and --coco: predictions (default) or annotations')
      .meta({ metavar: 'target' })
      .optional(),
    task: textField('for --yolo and --coco: the task name (default: from the file name)', {
      metavar: 'name',
    }).optional(),
  })
  .strict();
export type ImportSource = z.infer<typeof ImportSource>;

/** The import fields that name the source; runImport takes exactly one. */
export const IMPORT_SOURCES = [
  'yolo',
  'coco',
  'lightlyMetadata',
  'lightlyPredictions',
  'metadata',
  'embeddings',
] as const satisfies readonly (keyof ImportSource)[];

/** Storage options as the CLI writes them (`["endpoint=…", "path-style"]`) or as an object. */
const StorageOptions = z.union([z.array(z.string()), DatasourceOptions]);

// Ingest, embed and analyze read further engine options (threads, ffprobe, thumbnailSize…) that
// no client offers yet: the fields below are typed, the rest pass through to the engine.
export const IngestOptions = z
  .object({
    work: pathField("where the dataset's .winnow/ goes: a folder or bucket", 'folder').optional(),
    storage: StorageOptions.describe('how to reach the input: KEY=VALUE pairs, or an object').optional(),
    workStorage: StorageOptions.describe('how to reach the work location, when it differs').optional(),
  })
  .loose();

export const EmbedOptions = z
  .object({
    model: textField('a registry model, a model config file, or an .onnx file with modelConfig', {
      metavar: 'name',
    }).optional(),
    modelConfig: pathField('the config file of an .onnx model', 'file').optional(),
    device: z
      .enum(['auto', 'cpu', 'cuda', 'webgpu'])
      .describe('where the model runs (default auto)')
      .optional(),
    batchSize: nonNegativeInteger.describe('images per inference call').optional(),
    frames: z
      .union([
        z.object({ every: z.number().positive() }).strict(),
        z.object({ count: nonNegativeInteger }).strict(),
        z.object({ scene: z.number().min(0).max(1) }).strict(),
      ])
      .describe(
        'videos: which frames, {every: seconds}, {count: n} or {scene: threshold} (default one a second)',
      )
      .optional(),
    crops: z
      .enum(['annotations', 'predictions'])
      .describe('also embed object crops of these boxes')
      .optional(),
    task: textField('for crops: only the boxes of this task', { metavar: 'name' }).optional(),
    ray: textField('embed the images over this Ray cluster: HOST:PORT of its head, or auto', {
      metavar: 'address',
    }).optional(),
    rayRuntime: textField('with ray: the engine command on the nodes (default winnow)', {
      metavar: 'command',
    }).optional(),
    shardSize: nonNegativeInteger.min(1).describe('with ray: images per shard (default 1000)').optional(),
    cpusPerShard: nonNegativeInteger
      .min(1)
      .describe('with ray: CPUs each engine asks of Ray (default 1)')
      .optional(),
  })
  .loose();

export const AnalyzeOptions = z
  .object({
    model: textField('the model whose embeddings to analyze (default: the newest)', {
      metavar: 'name',
    }).optional(),
    typicality: z
      .union([z.boolean(), z.string().min(1)])
      .describe('store typicality, as this metadata key (default typicality)')
      .optional(),
    projection: z
      .union([z.boolean(), z.string().min(1)])
      .describe('store a 2-D PaCMAP layout, under this name (default <model>-pacmap)')
      .optional(),
    duplicates: z
      .number()
      .nonnegative()
      .describe('group samples closer than this cosine distance')
      .optional(),
    seed: nonNegativeInteger.describe('the seed of the projection').optional(),
  })
  .loose();

const dataset = textField('the dataset the job works on');

/** POST /api/jobs: the job's kind and dataset, and the fields its kind reads. */
export const JobRequest = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('ingest'),
      dataset,
      location: textField('a folder, or s3://, obs://, gs://, az:// URL'),
      options: IngestOptions.optional(),
    }),
    z.object({ kind: z.literal('embed'), dataset, options: EmbedOptions.optional() }),
    z.object({ kind: z.literal('analyze'), dataset, options: AnalyzeOptions.optional() }),
    z.object({ kind: z.literal('import'), dataset, source: ImportSource }),
    z.object({
      kind: z.literal('select'),
      dataset,
      // Checked by checkSelectionConfig, which names the config's own fields.
      config: z.unknown().describe('a selection config (docs/select.md), inline').optional(),
      tag: textField('the new tag the picks are stored as'),
    }),
  ],
  { error: 'expected one of ingest, embed, analyze, import, select' },
);
export type JobRequest = z.input<typeof JobRequest>;
export type JobKind = JobRequest['kind'];

/** Each kind's options object, by kind: what contract.json exports for the clients. */
export const JOB_OPTIONS = {
  ingest: IngestOptions,
  embed: EmbedOptions,
  analyze: AnalyzeOptions,
  import: ImportSource,
} as const;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** What the job routes answer (POST /api/jobs, GET and DELETE /api/jobs/:id, the `end` event). */
export interface JobInfo {
  id: string;
  kind: string;
  dataset: string;
  state: JobState;
  progress?: Progress;
  result?: unknown;
  /** Why it failed, in one line. */
  error?: string;
}
