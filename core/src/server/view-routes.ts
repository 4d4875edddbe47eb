import type { ServerResponse } from 'node:http';
import { makeVector, Table, tableToIPC } from 'apache-arrow';
import { WinnowError } from '../errors.js';
import { combineConditions } from '../query/chips.js';
import type { QuerySlots } from '../query/slots.js';
import type { Workspace } from '../store/workspace.js';
import { Tags } from '../tags/tags.js';
import { RESPONDED, type RequestContext, type Route, route, sendBytes } from './http.js';
import type { QueryCondition } from './view-answers.js';
import { datasetVocabulary, samplePosition } from './vocabulary.js';

/**
 * The routes that answer what the browser views used to ask in SQL (docs/server.md, "What the
 * views ask"): a dataset's vocabulary, a sample's position in a query, a tag's sample ids and
 * the query bar's chips as a condition. `slots` are the server's turns for user SQL.
 */
export function viewRoutes(ws: Workspace, slots: QuerySlots): Route[] {
  const dataset = (context: RequestContext) => ws.dataset(decodeURIComponent(context.params.dataset!));
  return [
    route('GET', '/api/datasets/:dataset/vocabulary', async (context) =>
      datasetVocabulary(ws, await dataset(context)),
    ),
    route('GET', '/api/datasets/:dataset/samples/:id/position', async (context) => {
      const where = context.query.get('where')?.trim() || 'true';
      return samplePosition(ws, await dataset(context), sampleIdOf(context), where, slots);
    }),
    route('GET', '/api/datasets/:dataset/tags/:tag/ids', async (context) => {
      const tags = new Tags(ws, await dataset(context));
      return sendIds(context.response, await tags.memberIds(decodeURIComponent(context.params.tag!)));
    }),
    route('POST', '/api/datasets/:dataset/conditions', async (context): Promise<QueryCondition> => {
      await dataset(context);
      const body = await context.json();
      return { where: combineConditions(body.chips ?? [], body.sql ?? '') };
    }),
  ];
}

/** Sample ids as Arrow IPC (`sample_id` int32): a million of them cost 4 MB, not a JSON list. */
export function sendIds(response: ServerResponse, ids: Int32Array) {
  const table = new Table({ sample_id: makeVector(ids) });
  sendBytes(response, tableToIPC(table, 'stream'), 'application/vnd.apache.arrow.stream');
  return RESPONDED;
}

function sampleIdOf(context: RequestContext): number {
  const id = Number(context.params.id);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new WinnowError(
      'invalid_argument',
      `sample id: expected a non-negative integer, got '${context.params.id}'`,
    );
  }
  return id;
}
