import type { Command } from 'commander';
import { type IngestSummary, ingest } from '../../ingest/index.js';
import { positiveInteger, withWorkspace } from '../context.js';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      'index the images and videos under a folder into a dataset (incremental: re-run to pick up changes)',
    )
    .argument('<folder>', 'the folder to index')
    .requiredOption('--dataset <name>', 'the dataset to index into (created on first use)')
    .option('--work <folder>', "where the dataset's .winnow/ goes (thumbnails, frames, reports)")
    .option('--threads <n>', 'worker threads for listing and reading headers', positiveInteger)
    .action(
      (folder: string, options: { dataset: string; work?: string; threads?: number }, command: Command) =>
        withWorkspace(command, async ({ ws, out, signal }) => {
          const summary = await out.withProgress((onProgress) =>
            ingest(ws, folder, { ...options, signal, onProgress }),
          );
          if (!out.json) for (const warning of summary.warnings) out.warn(warning);
          out.result(summary, describeIngest);
        }),
    );
}

export function describeIngest(s: IngestSummary): string {
  const lines = [
    `dataset ${s.dataset}: ${s.samples} samples (${s.images} images, ${s.videos} videos) from ${s.root}`,
    `  ${s.added} added, ${s.updated} updated, ${s.removed} removed, ${s.unchanged} unchanged in ${s.seconds} s`,
  ];
  if (s.corrupt || s.misnamed)
    lines.push(`  ${s.corrupt} corrupt, ${s.misnamed} with a misleading extension`);
  for (const file of s.corrupt_files) lines.push(`  corrupt: ${file.path}: ${file.reason}`);
  return lines.join('\n');
}
