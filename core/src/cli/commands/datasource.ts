import type { Command } from 'commander';
import { openDatasetStorage } from '../../storage/open.js';
import { type PermissionReport, verifyDataset } from '../../storage/verify.js';
import { runOperation } from '../context.js';

export function registerDatasource(program: Command): void {
  const datasource = program.command('datasource').description("a dataset's input and work locations");
  datasource
    .command('verify')
    .description(
      'check for real what Winnow may do: list and read the input; write, overwrite and delete a probe under the work .winnow/',
    )
    .requiredOption('--dataset <name>', 'the dataset whose locations to check')
    .action((options: { dataset: string }, command: Command) =>
      runOperation<PermissionReport>(
        command,
        {
          local: async ({ dataset }) => {
            const { input, work } = await openDatasetStorage(await dataset(options.dataset));
            return verifyDataset(input, work.storage);
          },
          remote: ({ client }) => client.verify(options.dataset),
        },
        (report, out) => {
          out.result(report, describePermissions);
          if (!allowed(report)) process.exitCode = 1;
        },
      ),
    );
}

function allowed(report: PermissionReport): boolean {
  return (
    report.canList && report.canRead !== false && report.canWrite && report.canOverwrite && report.canDelete
  );
}

function describePermissions(report: PermissionReport): string {
  const line = (name: string, value: boolean | null, where: string, error?: string) =>
    `  ${value === null ? '-  ' : value ? 'yes' : 'NO '} ${name.padEnd(9)} ${error ?? where}`;
  return [
    line('list', report.canList, report.input, report.errors.list),
    line('read', report.canRead, report.input, report.errors.read),
    line('write', report.canWrite, report.work, report.errors.write),
    line('overwrite', report.canOverwrite, report.work, report.errors.overwrite),
    line('delete', report.canDelete, report.work, report.errors.delete),
  ].join('\n');
}
