import type { Command } from 'commander';
import { runQuery } from '../../query/run.js';
import { positiveInteger, positiveNumber, withWorkspace } from '../context.js';
import { table } from '../output.js';

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run read-only SQL over the views of the workspace (see docs/query.md)')
    .requiredOption('--sql <select>', 'one SELECT statement')
    .option('--dataset <name>', 'show only this dataset in every view')
    .option('--timeout <seconds>', 'stop the query after this long', positiveNumber, 30)
    .option('--max-rows <n>', 'read at most this many rows', positiveInteger, 100_000)
    .action(
      (options: { sql: string; dataset?: string; timeout: number; maxRows: number }, command: Command) =>
        withWorkspace(command, async ({ ws, out, dataset }) => {
          const result = await runQuery(ws, options.sql, {
            dataset: options.dataset ? await dataset(options.dataset) : undefined,
            timeoutMs: options.timeout * 1000,
            maxRows: options.maxRows,
          });
          out.result(result, (r) =>
            [
              table(r.rows, r.columns),
              `${r.rows.length} rows${r.truncated ? ' (more not shown: --max-rows)' : ''}`,
            ].join('\n'),
          );
        }),
    );
}
