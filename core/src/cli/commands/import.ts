import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import {
  type ImportSummary,
  importCoco,
  importEmbeddings,
  importLightlyMetadata,
  importLightlyPredictions,
  importMetadataTable,
  importYolo,
} from '../../ingest/import/index.js';
import { withWorkspace } from '../context.js';

interface ImportOptions {
  dataset: string;
  yolo?: string;
  classes?: string;
  coco?: string;
  lightlyMetadata?: string;
  lightlyPredictions?: string;
  metadata?: string;
  embeddings?: string;
  model?: string;
  filenames?: string;
  key?: string;
  as: 'predictions' | 'annotations';
  task?: string;
}

const SOURCES = ['yolo', 'coco', 'lightlyMetadata', 'lightlyPredictions', 'metadata', 'embeddings'] as const;

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'import labels, metadata or embeddings for a dataset (all or nothing: a bad record imports nothing)',
    )
    .requiredOption('--dataset <name>')
    .option('--yolo <folder>', 'YOLO label folder (one .txt per image); needs --classes')
    .option('--classes <file>', 'class names for --yolo: YAML with names:, or one name per line')
    .option('--coco <file>', 'COCO instances JSON')
    .option('--lightly-metadata <folder>', 'Lightly metadata folder (schema.json + one JSON per file)')
    .option(
      '--lightly-predictions <folder>',
      'Lightly predictions folder (tasks.json + <task>/schema.json + one JSON per file)',
    )
    .option('--metadata <file>', 'a metadata table keyed by filename: CSV, Parquet or JSON lines')
    .option(
      '--embeddings <file>',
      'embeddings keyed by filename: CSV (Lightly format), Parquet or JSON lines, or .npy with --filenames',
    )
    .option('--model <name>', 'for --embeddings: the model they belong to (default: the file name)')
    .option('--filenames <file>', 'for an --embeddings .npy file: the filename of each row, one per line')
    .option('--key <column>', 'for --metadata and --embeddings: the column holding the filename')
    .option('--as <target>', 'for --yolo and --coco: predictions | annotations', 'predictions')
    .option('--task <name>', 'for --yolo and --coco: the task name (default: from the file name)')
    .action((options: ImportOptions, command: Command) =>
      withWorkspace(command, async ({ ws, out, dataset, signal }) => {
        const given = SOURCES.filter((source) => options[source] !== undefined);
        if (given.length !== 1) {
          throw new WinnowError(
            'invalid_argument',
            'give exactly one of --yolo, --coco, --lightly-metadata, --lightly-predictions, --metadata, --embeddings',
          );
        }
        if (options.as !== 'predictions' && options.as !== 'annotations') {
          throw new WinnowError('invalid_argument', `--as '${options.as}': use predictions or annotations`);
        }
        const ds = await dataset(options.dataset);
        const summary: ImportSummary = await out.withProgress(async (onProgress) => {
          const common = { signal, onProgress };
          const labels = { ...common, as: options.as, task: options.task };
          if (options.yolo !== undefined) {
            if (!options.classes) throw new WinnowError('invalid_argument', '--yolo needs --classes <file>');
            return importYolo(ws, ds, options.yolo, { ...labels, classes: options.classes });
          }
          if (options.coco !== undefined) return importCoco(ws, ds, options.coco, labels);
          if (options.lightlyMetadata !== undefined) {
            return importLightlyMetadata(ws, ds, options.lightlyMetadata, common);
          }
          if (options.lightlyPredictions !== undefined) {
            return importLightlyPredictions(ws, ds, options.lightlyPredictions, common);
          }
          if (options.embeddings !== undefined) {
            const { model, filenames, key } = options;
            return importEmbeddings(ws, ds, options.embeddings, { ...common, model, filenames, key });
          }
          return importMetadataTable(ws, ds, options.metadata!, { ...common, key: options.key });
        });
        out.result(summary, describeImport);
      }),
    );
}

function describeImport(s: ImportSummary): string {
  const target = s.target
    ? ` as ${s.target}${s.task ? ` of task ${s.task}` : ''}`
    : s.model
      ? ` for model ${s.model} (${s.dim} dimensions)`
      : '';
  const lines = [
    `imported ${s.records} records for ${s.samples} samples of ${s.dataset}${target} (${s.kind})`,
  ];
  if (s.unmatched_count) {
    lines.push(
      `  ${s.unmatched_count} input files name no sample of the dataset, e.g. ${s.unmatched.slice(0, 3).join(', ')}`,
    );
  }
  return lines.join('\n');
}
