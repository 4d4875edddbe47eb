import { type Command, Option } from 'commander';
import { describedFields } from '../../contract/fields.js';
import { ImportSource } from '../../contract/jobs.js';
import { type ImportSummary, runImport } from '../../ingest/import/index.js';
import { localFile, runOperation } from '../context.js';

interface ImportOptions extends ImportSource {
  dataset: string;
}

export function registerImport(program: Command): void {
  const fields = describedFields(ImportSource);
  /** The fields that name a file or folder, sent to a server as absolute paths. */
  const fileFields = fields.filter(([, field]) => field.path).map(([name]) => name as keyof ImportSource);
  const command = program
    .command('import')
    .description(
      'import labels, metadata or embeddings for a dataset (all or nothing: a bad record imports nothing)',
    )
    .requiredOption('--dataset <name>', 'the dataset the records are for');
  // The options are the import job's fields (core/src/contract/jobs.ts), --lightly-metadata for lightlyMetadata.
  // An enum's choices are checked here, so a bad value fails alike with or without a server.
  for (const [name, field] of fields) {
    const option = new Option(`--${kebabCase(name)} <${field.metavar ?? 'value'}>`, field.description);
    command.addOption(field.choices ? option.choices(field.choices) : option);
  }
  command.action((options: ImportOptions, command: Command) =>
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
          for (const field of fileFields) {
            const given = source[field];
            if (given) Object.assign(source, { [field]: localFile(given) });
          }
          return out.withProgress((onProgress) =>
            client.runJob({ kind: 'import', dataset, source: { ...source } }, { signal, onProgress }),
          );
        },
      },
      (summary, out) => out.result(summary, describeImport),
    ),
  );
}

/** `lightlyMetadata` as an option: `lightly-metadata`. */
function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
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
