import type { Command } from 'commander';
import { readSelectionConfig } from '../../select/config.js';
import { runSelection, type SelectionResult } from '../../select/run.js';
import { runOperation } from '../context.js';

export function registerSelect(program: Command): void {
  program
    .command('select')
    .description('select samples by a selection config (Lightly Worker compatible) into a tag, with a report')
    .requiredOption('--dataset <name>', 'the dataset to select from')
    .requiredOption('--config <file>', 'the selection config, YAML or JSON')
    .requiredOption(
      '--tag <name>',
      'the tag the selected samples become (an existing one gets a new version)',
    )
    .action((options: { dataset: string; config: string; tag: string }, command: Command) =>
      runOperation<SelectionResult>(
        command,
        {
          local: async ({ ws, out, dataset, signal }) => {
            const config = await readSelectionConfig(options.config);
            const ds = await dataset(options.dataset);
            return out.withProgress((onProgress) =>
              runSelection(ws, ds, config, { tag: options.tag, signal, onProgress }),
            );
          },
          // Read and checked here (errors name the file); the server checks the config as given again.
          remote: async ({ client, out, signal }) => {
            const { raw } = await readSelectionConfig(options.config);
            return out.withProgress((onProgress) =>
              client.runJob(
                { kind: 'select', dataset: options.dataset, config: raw, tag: options.tag },
                { signal, onProgress },
              ),
            );
          },
        },
        (result, out) => out.result(result, describeSelection),
      ),
    );
}

function describeSelection(r: SelectionResult): string {
  const stopped = r.stopped_by === 'count' ? '' : ` (stopped: ${r.stopped_by})`;
  const version = r.tag_version > 1 ? ` (version ${r.tag_version})` : '';
  return [
    `selected ${r.selected} samples of ${r.dataset} into tag ${r.tag}${version}${stopped} in ${r.seconds.toFixed(2)} s (run ${r.run_id})`,
    `  report: ${r.report.html}`,
  ].join('\n');
}
