import type { Command } from 'commander';
import { type IngestSummary, ingest } from '../../ingest/index.js';
import { parseStorageOptions } from '../../storage/options.js';
import {
  addStorageOptions,
  CREATES_WORKSPACE,
  localFile,
  positiveInteger,
  runOperation,
  type StorageFlags,
} from '../context.js';
import { printable } from '../output.js';
import { datasetSecrets } from '../secrets.js';

export function registerIngest(program: Command): void {
  const command = program
    .command('ingest')
    .description(
      'index the images and videos under a folder or bucket into a dataset (incremental: re-run to pick up changes)',
    )
    .argument(
      '<location>',
      'a folder, or s3://, obs://, gs://, az://account/container/ (only listed and read)',
    )
    .requiredOption('--dataset <name>', 'the dataset to index into (created on first use)')
    .option(
      '--work <location>',
      "where the dataset's .winnow/ goes (thumbnails, frames, reports): a folder or bucket",
    )
    .option('--threads <n>', 'worker threads for listing and reading headers', positiveInteger);
  addStorageOptions(command).action(
    (
      location: string,
      options: { dataset: string; work?: string; threads?: number } & StorageFlags,
      command: Command,
    ) => {
      const { storage, workStorage, ...rest } = options;
      const flags = {
        ...rest,
        storage: storage.length ? parseStorageOptions(storage, '--storage') : undefined,
        workStorage: workStorage.length ? parseStorageOptions(workStorage, '--work-storage') : undefined,
      };
      return runOperation<IngestSummary>(
        command,
        {
          local: ({ ws, out, signal }) =>
            out.withProgress((onProgress) => ingest(ws, location, { ...flags, signal, onProgress })),
          remote: async ({ client, out, signal }) => {
            const secrets = datasetSecrets(flags.storage, flags.workStorage);
            if (secrets) await client.setCredentials(options.dataset, secrets);
            const job = { ...flags, work: flags.work && localFile(flags.work) };
            return out.withProgress((onProgress) =>
              client.runJob(
                { kind: 'ingest', dataset: options.dataset, location: localFile(location), options: job },
                { signal, onProgress },
              ),
            );
          },
        },
        (summary, out) => {
          if (!out.json) for (const warning of summary.warnings) out.warn(warning);
          out.result(summary, describeIngest);
        },
        CREATES_WORKSPACE,
      );
    },
  );
}

export function describeIngest(s: IngestSummary): string {
  const lines = [
    `dataset ${s.dataset}: ${s.samples} samples (${s.images} images, ${s.videos} videos) from ${s.root}`,
    `  ${s.added} added, ${s.updated} updated, ${s.removed} removed, ${s.unchanged} unchanged in ${s.seconds} s`,
  ];
  if (s.corrupt || s.misnamed)
    lines.push(`  ${s.corrupt} corrupt, ${s.misnamed} with a misleading extension`);
  for (const file of s.corrupt_files) lines.push(`  corrupt: ${printable(file.path)}: ${file.reason}`);
  return lines.join('\n');
}
