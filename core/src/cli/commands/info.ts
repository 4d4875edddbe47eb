import type { Command } from 'commander';
import { type WorkspaceInfo, workspaceInfo } from '../../store/info.js';
import { runOperation } from '../context.js';
import { table } from '../output.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('the workspace and its datasets')
    .option('--dataset <name>', 'one dataset only')
    .action((options: { dataset?: string }, command: Command) =>
      runOperation<WorkspaceInfo>(
        command,
        {
          local: ({ ws }) => workspaceInfo(ws, options.dataset),
          remote: ({ client }) => client.info(options.dataset),
        },
        (data, out) =>
          out.result(data, (d) =>
            [
              `workspace ${d.workspace} (schema ${d.schema_version})`,
              table(d.datasets.map((x) => ({ ...x, tasks: x.tasks.map((t) => t.task).join(',') }))),
            ].join('\n'),
          ),
      ),
    );
}
