import type { Command } from 'commander';
import { type AnalyzeSummary, analyze } from '../../analyze/analyze.js';
import { nonNegativeInteger, nonNegativeNumber, runOperation } from '../context.js';

interface AnalyzeCliOptions {
  dataset: string;
  model?: string;
  typicality?: boolean | string;
  projection?: boolean | string;
  duplicates?: number;
  seed?: number;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('compute typicality, a 2-D projection and near-duplicate groups from embeddings')
    .requiredOption('--dataset <name>', 'the dataset to analyze')
    .option('--model <name>', 'the embedding model (default: the only one)')
    .option('--typicality [key]', 'store typicality as metadata (default key: typicality)')
    .option('--projection [name]', 'store a 2-D PaCMAP layout (default name: <model>-pacmap)')
    .option('--duplicates <distance>', 'group samples closer than this cosine distance', nonNegativeNumber)
    .option('--seed <n>', 'random seed of the projection', nonNegativeInteger)
    .action((options: AnalyzeCliOptions, command: Command) =>
      runOperation<AnalyzeSummary>(
        command,
        {
          local: async ({ ws, out, dataset, signal }) => {
            const ds = await dataset(options.dataset);
            return out.withProgress((onProgress) => analyze(ws, ds, { ...options, signal, onProgress }));
          },
          remote: ({ client, out, signal }) => {
            const { dataset, ...rest } = options;
            return out.withProgress((onProgress) =>
              client.runJob({ kind: 'analyze', dataset, options: rest }, { signal, onProgress }),
            );
          },
        },
        (summary, out) => out.result(summary, describeAnalysis),
      ),
    );
}

function describeAnalysis(s: AnalyzeSummary): string {
  const lines = [
    `analyzed ${s.samples} samples of ${s.dataset} (${s.model} embeddings) in ${s.seconds.toFixed(2)} s`,
  ];
  if (s.typicality)
    lines.push(`  typicality → metadata '${s.typicality.key}' (mean ${s.typicality.mean.toFixed(4)})`);
  if (s.projection) lines.push(`  projection '${s.projection.name}': ${s.projection.points} points`);
  if (s.duplicates)
    lines.push(
      `  near-duplicates (< ${s.duplicates.threshold}): ${s.duplicates.groups} groups, ${s.duplicates.samples} samples`,
    );
  return lines.join('\n');
}
