import { parseRequest } from '../contract/parse.js';
import { QueryRequest } from '../contract/requests.js';
import { WinnowError } from '../errors.js';
import { DEFAULT_TIME_LIMIT_MS, type QueryResult, runQuery, timeLimitProblem } from '../query/run.js';
import type { QuerySlots } from '../query/slots.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import type { RequestContext } from './http.js';

/**
 * The answer of both query routes (a dataset's, and the command's own where the dataset is
 * optional): the body checked against the contract, user SQL in a user query's turn, and a
 * client that goes away (Ctrl-C on `winnow query`) cancels its query.
 */
export async function answerQuery(
  ws: Workspace,
  context: RequestContext,
  slots: QuerySlots,
  datasetOf: (named: string | undefined) => Promise<Dataset | undefined>,
): Promise<QueryResult> {
  const body = parseRequest(QueryRequest, await context.json());
  const gone = new AbortController();
  context.response.on('close', () => {
    if (!context.response.writableFinished) gone.abort();
  });
  return runQuery(ws, body.sql, {
    dataset: await datasetOf(body.dataset),
    timeoutMs: timeLimit(body.timeout),
    maxRows: body.max_rows,
    slots,
    signal: gone.signal,
  });
}

/** A query's `timeout` in seconds (default 30), as milliseconds. */
function timeLimit(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_TIME_LIMIT_MS;
  const problem = timeLimitProblem(typeof value === 'number' ? value : Number.NaN);
  if (problem) throw new WinnowError('invalid_argument', `timeout: ${problem}, got ${JSON.stringify(value)}`);
  return (value as number) * 1000;
}
