import type { Command } from 'commander';
import { type SearchResult, searchDataset } from '../../embed/search.js';
import { localFile, runOperation } from '../context.js';
import { table } from '../output.js';

interface SearchCliOptions {
  dataset: string;
  text?: string;
  image?: string;
  sample?: string;
  k: number;
  model?: string;
  where?: string;
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description(
      'find the samples nearest to a text, an image file or a sample (cosine similarity of embeddings)',
    )
    .requiredOption('--dataset <name>', 'the dataset to search')
    .option('--text <query>', "a text, embedded with the model's text tower (CLIP-style models)")
    .option('--image <path>', 'an image file, embedded with the model')
    .option('--sample <id|path>', 'a sample of the dataset (itself left out of the results)')
    // Checked by the search, so that a bad value is a one-line error like the others.
    .option('-k, --k <n>', 'how many results', Number, 20)
    .option('--model <name|config>', 'the embedding model (default: the most recently embedded one)')
    .option('--where <sql>', 'only samples meeting this read-only SQL condition over the samples view')
    .action((options: SearchCliOptions, command: Command) =>
      runOperation<SearchResult>(
        command,
        {
          local: async ({ ws, out, dataset, signal }) => {
            const ds = await dataset(options.dataset);
            return out.withProgress((onProgress) =>
              searchDataset(ws, ds, { ...options, signal, onProgress }),
            );
          },
          remote: ({ client, signal }) => {
            const { dataset, image, model, ...rest } = options;
            const body = { ...rest, image: image && localFile(image), model: model && localFile(model) };
            return client.search(dataset, body, signal);
          },
        },
        (result, out) => out.result(result, describeSearch),
      ),
    );
}

function describeSearch(r: SearchResult): string {
  const rows = r.results.map((hit) => ({ score: hit.score.toFixed(4), path: hit.path }));
  return `${table(rows, ['score', 'path'])}\n${r.results.length} results (${r.model} embeddings)`;
}
