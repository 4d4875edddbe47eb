import { type Command, InvalidArgumentError } from 'commander';
import { type QueryResult, runQuery, timeLimitProblem } from '../../query/run.js';
import { positiveInteger, runOperation } from '../context.js';
import { table } from '../output.js';
import { watchQuery } from '../watchdog.js';

interface QueryCliOptions {
  sql: string;
  dataset?: string;
  timeout: number;
  maxRows: number;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run read-only SQL over the views of the workspace (see docs/query.md)')
    .requiredOption('--sql <select>', 'one SELECT statement')
    .option('--dataset <name>', 'show only this dataset in every view')
    .option('--timeout <seconds>', 'stop the query after this long (0.1 to 3600)', timeLimit, 30)
    .option('--max-rows <n>', 'read at most this many rows', positiveInteger, 100_000)
    .action((options: QueryCliOptions, command: Command) =>
      runOperation<QueryResult>(
        command,
        {
          local: async ({ ws, dataset, signal }) => {
            const timeoutMs = options.timeout * 1000;
            const memoryLimit = await ws.db.value<number>(
              "SELECT parse_formatted_bytes(current_setting('memory_limit'))",
            );
            const standDown = watchQuery(timeoutMs, Number(memoryLimit));
            return runQuery(ws, options.sql, {
              dataset: options.dataset ? await dataset(options.dataset) : undefined,
              timeoutMs,
              maxRows: options.maxRows,
              signal,
            }).finally(standDown);
          },
          // The server holds the query to the same time limit, in its own user-query turns;
          // Ctrl-C closes the request, which cancels the query there.
          remote: ({ client, signal }) =>
            client.query(
              {
                sql: options.sql,
                dataset: options.dataset,
                timeout: options.timeout,
                max_rows: options.maxRows,
              },
              signal,
            ),
        },
        (result, out) =>
          out.result(result, (r) =>
            [
              table(r.rows, r.columns),
              `${r.rows.length} rows${r.truncated ? ` (more not shown: ${r.truncatedBy === 'max_rows' ? '--max-rows' : 'over 64 MB'})` : ''}`,
            ].join('\n'),
          ),
      ),
    );
}

function timeLimit(value: string): number {
  const seconds = Number(value);
  const problem = timeLimitProblem(seconds);
  if (problem) throw new InvalidArgumentError(problem);
  return seconds;
}
