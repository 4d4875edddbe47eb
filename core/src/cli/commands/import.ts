import type { Command } from 'commander';
import { type ImportSource, type ImportSummary, runImport, SOURCES } from '../../ingest/import/index.js';
import { localFile, runOperation } from '../context.js';

interface ImportOptions extends ImportSource {
  dataset: string;
}

/** The fields that name a file or folder, sent to a server as absolute paths. */
const FILE_FIELDS = [...SOURCES, 'classes', 'filenames'] as const;

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
      runOperation<ImportSummary>(
        command,
        {
          local: async ({ ws, out, dataset, signal }) => {
            const { dataset: name, ...source } = options;
            const ds = await dataset(name);
            return out.withProgress((onProgress) => runImport(ws, ds, source, { signal, onProgress }));
          },
          remote: ({ client, out, signal }) => {
            const { dataset, ...source } = options;
            for (const field of FILE_FIELDS) if (source[field]) source[field] = localFile(source[field]);
            return out.withProgress((onProgress) =>
              client.runJob({ kind: 'import', dataset, source: { ...source } }, { signal, onProgress }),
            );
          },
        },
        (summary, out) => out.result(summary, describeImport),
      ),
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
    // No examples when nothing matched (see matchedSummary): the input is likely not this dataset's.
    const examples = s.unmatched.length ? `, e.g. ${s.unmatched.slice(0, 3).join(', ')}` : '';
    lines.push(`  ${s.unmatched_count} input files name no sample of the dataset${examples}`);
  }
  return lines.join('\n');
}
