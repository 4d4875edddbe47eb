import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import { runOperation, workspaceDir } from '../context.js';

/** What `winnow selected --json` prints. */
interface Selected {
  dataset: string;
  source: string | null;
  at: string | null;
  version: number;
  sample_ids: number[];
  filenames: string[];
}

/**
 * `winnow selected`: the dataset's live selection, which a running server holds (a lasso in a
 * notebook's scatter, a pick in a grid). Without a server there is none, and the command says so.
 */
export function registerSelected(program: Command): void {
  program
    .command('selected')
    .description("the files of a dataset's live selection (what was lassoed or picked last in a view)")
    .requiredOption('--dataset <name>', 'the dataset')
    .action((options: { dataset: string }, command: Command) =>
      runOperation<Selected>(
        command,
        {
          local: async ({ dataset }) => {
            await dataset(options.dataset);
            throw new WinnowError(
              'not_found',
              `no live selection: no Winnow server runs for ${workspaceDir(command.optsWithGlobals())} ` +
                '(a selection lives in the server of the views that made it)',
            );
          },
          remote: async ({ client }) => {
            const { dataset, source, at, version, sample_ids, filenames } = await client.selection(
              options.dataset,
            );
            return { dataset, source, at, version, sample_ids, filenames };
          },
        },
        (selected, out) => out.result(selected, (s) => s.filenames.join('\n')),
      ),
    );
}
