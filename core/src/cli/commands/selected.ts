import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import type { SelectionAnswer } from '../../server/selection-routes.js';
import { runOperation, workspaceDir } from '../context.js';

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
      runOperation<Required<SelectionAnswer>>(
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
          remote: ({ client }) => client.selection(options.dataset),
        },
        (selected, out) => out.result(selected, (s) => s.filenames.join('\n')),
      ),
    );
}
